import Failures
import Foundation
import JSON

/// A PEFT LoRA `adapter_config.json`. The fields this product acts on are typed; every
/// other field is kept as read (or PEFT 0.21.2's defaults for a new config) and written
/// back, so `jsonData()` gives the bytes PEFT's `LoraConfig.save_pretrained` writes.
public struct AdapterConfig: Equatable, Sendable {
    /// `r`, `lora_alpha`, `lora_dropout`, `target_modules` (written sorted: PEFT holds a set, its order on disk is
    /// arbitrary), `use_rslora`, `rank_pattern` and `alpha_pattern`.
    public var lora: LoRAConfig
    /// `base_model_name_or_path`: the model the adapter belongs to (e.g. `google/flan-t5-base`).
    public var baseModelNameOrPath: String?
    /// `inference_mode`: PEFT sets it when saving a model for inference.
    public var inferenceMode: Bool
    /// Every other field, by its JSON name (rank_pattern and alpha_pattern too, kept as read, so they are
    /// written back byte for byte).
    public var otherFields: [String: JSONValue]

    /// The version whose defaults and field set a new config carries.
    public static let peftVersion = "0.21.2"
    /// The largest adapter_config.json accepted (PEFT's are about 1 KB).
    public static let maxFileSize = 1 << 20

    /// A new config in PEFT 0.21.2's format, for a seq2seq LM, bias "none".
    public init(lora: LoRAConfig, baseModelNameOrPath: String?, inferenceMode: Bool = false) throws {
        self.lora = lora
        self.baseModelNameOrPath = baseModelNameOrPath
        self.inferenceMode = inferenceMode
        self.otherFields = Self.peftDefaults
        otherFields["rank_pattern"] = .object(lora.rankPattern.mapValues { .int($0) })
        otherFields["alpha_pattern"] = .object(lora.alphaPattern.mapValues(Self.number))
        try lora.validate()
    }

    /// A number as PEFT users write it: an integer when it is one.
    static func number(_ x: Double) -> JSONValue { x.rounded() == x && abs(x) < 1e15 ? .int(Int(x)) : .double(x) }

    // MARK: Reading

    /// A missing or unreadable file is Foundation's error (the stages map it to exit 66 or 74).
    public static func read(from url: URL) throws -> AdapterConfig {
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        guard size <= maxFileSize else {
            throw PipelineError.badInput("adapter config is \(size) bytes, more than the \(maxFileSize) allowed", path: url.path)
        }
        return try AdapterConfig(jsonData: try Data(contentsOf: url), path: url.path)
    }

    /// Parses and validates a config; `path` names the file in errors.
    public init(jsonData data: Data, path: String? = nil) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        guard data.count <= Self.maxFileSize else { throw bad("adapter config larger than \(Self.maxFileSize) bytes") }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch let error as PipelineError { throw bad(error.message) }
        guard case .object(var fields) = root else { throw bad("adapter config is not a JSON object") }

        func take(_ key: String) -> JSONValue? { fields.removeValue(forKey: key) }
        guard case .string("LORA")? = take("peft_type") else { throw bad("peft_type is not \"LORA\"") }
        fields["peft_type"] = .string("LORA")

        var lora = LoRAConfig()
        guard case .int(let r)? = take("r") else { throw bad("r is missing or not an integer") }
        lora.rank = r
        switch take("lora_alpha") {
        case .int(let a)?: lora.alpha = Double(a)
        case .double(let a)?: lora.alpha = a
        default: throw bad("lora_alpha is missing or not a number")
        }
        switch take("lora_dropout") {
        case .int(let d)?: lora.dropout = Double(d)
        case .double(let d)?: lora.dropout = d
        case nil: lora.dropout = 0
        default: throw bad("lora_dropout is not a number")
        }
        switch take("target_modules") {
        case .array(let items)?:
            lora.targetModules = try items.map { item in
                guard case .string(let s) = item else { throw bad("target_modules holds a non-string") }
                return s
            }
        case .string(let pattern)?:
            lora.targetModules = []
            lora.targetPattern = pattern
        default: throw bad("target_modules is missing or not a list")
        }
        lora.useRSLoRA = try Self.bool(take("use_rslora"), default: false, name: "use_rslora", path: path)
        inferenceMode = try Self.bool(take("inference_mode"), default: false, name: "inference_mode", path: path)
        switch take("base_model_name_or_path") {
        case .string(let s)?: baseModelNameOrPath = s
        case .null?, nil: baseModelNameOrPath = nil
        default: throw bad("base_model_name_or_path is not a string")
        }
        otherFields = fields
        for (key, neutral) in Self.unsupportedUnlessNeutral {
            if let value = fields[key], value != .null, value != neutral {
                throw bad("\(key) = \(value.pythonJSON().replacingOccurrences(of: "\n", with: "")) is not supported (only plain LoRA on linear layers)")
            }
        }
        // rank_pattern / alpha_pattern: objects of numbers (their ranges are LoRAConfig's to check).
        for field in ["rank_pattern", "alpha_pattern"] {
            switch fields[field] {
            case nil, .null?: continue
            case .object(let o)?:
                for (pattern, value) in o {
                    switch value {
                    case .int(let v) where field == "rank_pattern": lora.rankPattern[pattern] = v
                    case .int(let v): lora.alphaPattern[pattern] = Double(v)
                    case .double(let v) where field == "alpha_pattern": lora.alphaPattern[pattern] = v
                    default: throw bad("\(field)[\"\(pattern)\"] must be a positive \(field == "rank_pattern" ? "integer" : "number")")
                    }
                }
            default: throw bad("\(field) is not an object")
            }
        }
        if let task = fields["task_type"], task != .null, task != .string("SEQ_2_SEQ_LM") {
            throw bad("task_type is \(task.pythonJSON()), not SEQ_2_SEQ_LM")
        }
        self.lora = lora
        do { try lora.validate() } catch let e as PipelineError { throw PipelineError(e.status, e.message, path: path) }
    }

    private static func bool(_ v: JSONValue?, default d: Bool, name: String, path: String?) throws -> Bool {
        switch v {
        case .bool(let b)?: return b
        case nil, .null?: return d
        default: throw PipelineError.badInput("\(name) is not true or false", path: path)
        }
    }

    // MARK: Validation

    /// Fails unless the adapter was made for `baseModel` (its `base_model_name_or_path`).
    public func validate(forBaseModel baseModel: String, path: String? = nil) throws {
        guard let own = baseModelNameOrPath else {
            throw PipelineError.badInput("adapter config names no base model (expected \(baseModel))", path: path)
        }
        guard own == baseModel else {
            throw PipelineError.badInput("adapter is for base model \(own), not \(baseModel)", path: path)
        }
    }

    // MARK: Writing

    /// The whole config as JSON: typed fields over `otherFields`.
    public var json: JSONValue {
        var fields = otherFields
        fields["r"] = .int(lora.rank)
        fields["lora_alpha"] = Self.number(lora.alpha)
        fields["lora_dropout"] = .double(lora.dropout)
        fields["target_modules"] = lora.targetPattern.map { .string($0) } ?? .array(lora.targetModules.sorted().map { .string($0) })
        fields["use_rslora"] = .bool(lora.useRSLoRA)
        fields["inference_mode"] = .bool(inferenceMode)
        fields["base_model_name_or_path"] = baseModelNameOrPath.map { .string($0) } ?? .null
        fields["peft_type"] = .string("LORA")
        return .object(fields)
    }

    /// The bytes PEFT writes (`json.dumps(indent=2, sort_keys=True)`, no trailing newline).
    public func jsonData() -> Data { Data(json.pythonJSON().utf8) }

    /// Writes `adapter_config.json` atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        do {
            try jsonData().write(to: url, options: .atomic)
        } catch {
            throw PipelineError.io("cannot write adapter config: \(error.localizedDescription)", path: url.path)
        }
    }

    // MARK: PEFT's fields

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
        "monteclora_config": .null, "peft_type": .string("LORA"), "peft_version": .string(peftVersion),
        "qalora_group_size": .int(16), "rank_pattern": .object([:]), "revision": .null,
        "target_parameters": .null, "task_type": .string("SEQ_2_SEQ_LM"), "trainable_token_indices": .null,
        "use_bdlora": .null, "use_dora": .bool(false), "use_qalora": .bool(false), "velora_config": .null,
    ]
}
