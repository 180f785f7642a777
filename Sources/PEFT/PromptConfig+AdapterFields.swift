import Failures
import JSON

/// Prompt tuning's and P-tuning's fields of `adapter_config.json`.
extension PromptConfig {
    init(taking fields: inout [String: JSONValue], pTuning: Bool, prefix: Bool = false, path: String?) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        func int(_ key: String) throws -> Int {
            guard case .int(let v)? = fields.removeValue(forKey: key) else { throw bad("\(key) is missing or not an integer") }
            return v
        }
        self.init()
        virtualTokens = try int("num_virtual_tokens")
        tokenDim = try int("token_dim")
        transformerSubmodules = try int("num_transformer_submodules")
        attentionHeads = try int("num_attention_heads")
        layers = try int("num_layers")
        if prefix {
            encoderHiddenSize = try int("encoder_hidden_size")
            prefixProjection = try AdapterConfig.bool(fields.removeValue(forKey: "prefix_projection"), default: false,
                                                      name: "prefix_projection", path: path)
            guard !prefixProjection else { throw bad("prefix_projection true is not built (PEFT's MLP over the prefix)") }
        } else if pTuning {
            encoderHiddenSize = try int("encoder_hidden_size")
            guard case .string("MLP")? = fields["encoder_reparameterization_type"] else {
                throw bad("encoder_reparameterization_type must be \"MLP\" (PEFT's LSTM prompt encoder is not built)")
            }
        } else {
            switch fields.removeValue(forKey: "prompt_tuning_init") {
            case .string(let s)?:
                guard let i = Initialization(rawValue: s) else {
                    throw bad("prompt_tuning_init \"\(s)\" is not RANDOM or TEXT (the initialisations built here)")
                }
                initialization = i
            case nil, .null?: initialization = .random
            default: throw bad("prompt_tuning_init is not a string")
            }
            switch fields.removeValue(forKey: "prompt_tuning_init_text") {
            case .string(let s)?: initText = s
            case nil, .null?: initText = nil
            default: throw bad("prompt_tuning_init_text is not a string")
            }
        }
    }

    func write(into fields: inout [String: JSONValue], prefix: Bool = false) {
        if prefix { fields["prefix_projection"] = .bool(prefixProjection) }
        fields["num_virtual_tokens"] = .int(virtualTokens)
        fields["token_dim"] = .int(tokenDim)
        fields["num_transformer_submodules"] = .int(transformerSubmodules)
        fields["num_attention_heads"] = .int(attentionHeads)
        fields["num_layers"] = .int(layers)
        if let h = encoderHiddenSize {
            fields["encoder_hidden_size"] = .int(h)
        } else {
            fields["prompt_tuning_init"] = .string(initialization.rawValue)
            fields["prompt_tuning_init_text"] = initText.map { .string($0) } ?? .null
        }
    }

    /// Fields that change the adapter's layout: accepted only at their neutral value.
    static let unsupportedUnlessNeutral: [String: JSONValue] = ["modules_to_save": .null]

    /// What `PromptTuningConfig(...)` / `PromptEncoderConfig(...).save_pretrained` write in PEFT 0.21.2 besides the
    /// typed fields.
    static func peftDefaults(pTuning: Bool, prefix: Bool = false) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "auto_mapping": .null, "modules_to_save": .null, "peft_version": .string(AdapterConfig.peftVersion),
            "revision": .null, "task_type": .string("SEQ_2_SEQ_LM"),
        ]
        if prefix {
            fields["peft_type"] = .string("PREFIX_TUNING")
            fields["init_weights"] = .null
        } else if pTuning {
            fields["peft_type"] = .string("P_TUNING")
            fields["encoder_dropout"] = .double(0)
            fields["encoder_num_layers"] = .int(2)
            fields["encoder_reparameterization_type"] = .string("MLP")
        } else {
            fields["peft_type"] = .string("PROMPT_TUNING")
            fields["tokenizer_kwargs"] = .null
            fields["tokenizer_name_or_path"] = .null
        }
        return fields
    }
}
