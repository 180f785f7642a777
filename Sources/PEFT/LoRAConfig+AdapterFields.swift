import Failures
import JSON

/// LoRA's fields of `adapter_config.json`: `r`, `lora_alpha`, `lora_dropout`, `target_modules` (written sorted: PEFT
/// holds a set, its order on disk is arbitrary), `use_rslora`, `rank_pattern` and `alpha_pattern` (kept as read, so
/// they are written back byte for byte).
extension LoRAConfig {
    /// Reads LoRA's typed fields, removing them from `fields` (rank_pattern and alpha_pattern stay, as read).
    init(taking fields: inout [String: JSONValue], path: String?) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        func take(_ key: String) -> JSONValue? { fields.removeValue(forKey: key) }
        self.init()
        guard case .int(let r)? = take("r") else { throw bad("r is missing or not an integer") }
        rank = r
        switch take("lora_alpha") {
        case .int(let a)?: alpha = Double(a)
        case .double(let a)?: alpha = a
        default: throw bad("lora_alpha is missing or not a number")
        }
        switch take("lora_dropout") {
        case .int(let d)?: dropout = Double(d)
        case .double(let d)?: dropout = d
        case nil: dropout = 0
        default: throw bad("lora_dropout is not a number")
        }
        guard let targets = try AdapterConfig.modules(take("target_modules"), name: "target_modules", path: path) else {
            throw bad("target_modules is missing or not a list")
        }
        (targetModules, targetPattern) = targets
        useRSLoRA = try AdapterConfig.bool(take("use_rslora"), default: false, name: "use_rslora", path: path)
        try readPatterns(fields, path: path)
    }

    /// rank_pattern / alpha_pattern from `fields` (left in place, so they are written back as read): objects of
    /// numbers, their ranges `validate`'s to check.
    mutating func readPatterns(_ fields: [String: JSONValue], path: String?) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        for field in ["rank_pattern", "alpha_pattern"] {
            switch fields[field] {
            case nil, .null?: continue
            case .object(let o)?:
                for (pattern, value) in o {
                    switch value {
                    case .int(let v) where field == "rank_pattern": rankPattern[pattern] = v
                    case .int(let v): alphaPattern[pattern] = Double(v)
                    case .double(let v) where field == "alpha_pattern": alphaPattern[pattern] = v
                    default: throw bad("\(field)[\"\(pattern)\"] must be a positive \(field == "rank_pattern" ? "integer" : "number")")
                    }
                }
            default: throw bad("\(field) is not an object")
            }
        }
    }

    func write(into fields: inout [String: JSONValue]) {
        fields["r"] = .int(rank)
        fields["lora_alpha"] = AdapterConfig.number(alpha)
        fields["lora_dropout"] = .double(dropout)
        fields["target_modules"] = AdapterConfig.modulesJSON(targetModules, pattern: targetPattern)
        fields["use_rslora"] = .bool(useRSLoRA)
    }

    /// A new config's other fields: PEFT's defaults with this config's patterns.
    static func newFields(_ c: LoRAConfig) -> [String: JSONValue] {
        var fields = peftDefaults
        fields["rank_pattern"] = .object(c.rankPattern.mapValues { .int($0) })
        fields["alpha_pattern"] = .object(c.alphaPattern.mapValues(AdapterConfig.number))
        return fields
    }

    /// Fields that change the adapter's math or layout: accepted only at their neutral value.
    static let unsupportedUnlessNeutral: [String: JSONValue] = [
        "bias": .string("none"),
        "use_dora": .bool(false), "lora_bias": .bool(false), "fan_in_fan_out": .bool(false),
        "layers_to_transform": .null, "layers_pattern": .null, "layer_replication": .null,
        "modules_to_save": .null, "exclude_modules": .null, "target_parameters": .null,
        "trainable_token_indices": .null, "use_qalora": .bool(false), "use_bdlora": .null,
        "alora_invocation_tokens": .null, "megatron_config": .null,
    ]

    /// What `LoraConfig(...).save_pretrained` writes in PEFT 0.21.2 besides the typed fields
    /// (see Tests/Fixtures/PEFT/adapter_config_reference.json).
    static let peftDefaults: [String: JSONValue] = [
        "alora_invocation_tokens": .null, "alpha_pattern": .object([:]), "arrow_config": .null,
        "auto_mapping": .null, "bias": .string("none"), "corda_config": .null,
        "ensure_weight_tying": .bool(false), "eva_config": .null, "exclude_modules": .null,
        "fan_in_fan_out": .bool(false), "init_lora_weights": .bool(true), "kasa_config": .null,
        "layer_replication": .null, "layers_pattern": .null, "layers_to_transform": .null,
        "loftq_config": .object([:]), "lora_bias": .bool(false), "lora_ga_config": .null,
        "megatron_config": .null, "megatron_core": .string("megatron.core"), "modules_to_save": .null,
        "monteclora_config": .null, "peft_type": .string("LORA"), "peft_version": .string(AdapterConfig.peftVersion),
        "qalora_group_size": .int(16), "rank_pattern": .object([:]), "revision": .null,
        "target_parameters": .null, "task_type": .string("SEQ_2_SEQ_LM"), "trainable_token_indices": .null,
        "use_bdlora": .null, "use_dora": .bool(false), "use_qalora": .bool(false), "velora_config": .null,
    ]
}
