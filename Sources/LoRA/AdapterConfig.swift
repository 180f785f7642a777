import Failures
import Foundation
import JSON

/// A PEFT LoRA `adapter_config.json`. The fields this product acts on are typed; every
/// other field is kept as read (or PEFT 0.21.2's defaults for a new config) and written
/// back, so `jsonData()` gives the bytes PEFT's `LoraConfig.save_pretrained` writes.
public struct AdapterConfig: Equatable, Sendable {
    /// `r`.
    public var rank: Int
    /// `lora_alpha` (written as an integer when it is one, as PEFT users give it).
    public var alpha: Double
    /// `lora_dropout`.
    public var dropout: Double
    /// `target_modules`, written sorted (PEFT holds a set; its order on disk is arbitrary).
    public var targetModules: [String]
    /// `target_modules` given as one string: a regular expression PEFT full-matches against each
    /// module's name (`re.fullmatch`); `targetModules` is then empty.
    public var targetPattern: String?
    /// `use_rslora`: scaling alpha/sqrt(r) instead of alpha/r.
    public var useRSLoRA: Bool
    /// `base_model_name_or_path`: the model the adapter belongs to (e.g. `google/flan-t5-base`).
    public var baseModelNameOrPath: String?
    /// `inference_mode`: PEFT sets it when saving a model for inference.
    public var inferenceMode: Bool
    /// `rank_pattern` / `alpha_pattern`: per-module r and lora_alpha, by PEFT's pattern rule (`rank(module:)`).
    /// Read from and written back through `otherFields`, where they are kept as read.
    public var rankPattern: [String: Int] {
        guard case .object(let o)? = otherFields["rank_pattern"] else { return [:] }
        return o.compactMapValues { if case .int(let r) = $0 { return r } else { return nil } }
    }
    public var alphaPattern: [String: Double] {
        guard case .object(let o)? = otherFields["alpha_pattern"] else { return [:] }
        return o.compactMapValues { v -> Double? in
            switch v { case .int(let a): return Double(a); case .double(let a): return a; default: return nil }
        }
    }
    /// Every other field, by its JSON name.
    public var otherFields: [String: JSONValue]

    /// The version whose defaults and field set a new config carries.
    public static let peftVersion = "0.21.2"
    /// The largest adapter_config.json accepted (PEFT's are about 1 KB).
    public static let maxFileSize = 1 << 20

    /// A new config in PEFT 0.21.2's format, for a seq2seq LM, bias "none".
    public init(rank: Int, alpha: Double, dropout: Double, targetModules: [String], useRSLoRA: Bool = false,
                rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:],
                baseModelNameOrPath: String?, inferenceMode: Bool = false) throws {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.useRSLoRA = useRSLoRA
        self.baseModelNameOrPath = baseModelNameOrPath
        self.inferenceMode = inferenceMode
        self.otherFields = Self.peftDefaults
        otherFields["rank_pattern"] = .object(rankPattern.mapValues { .int($0) })
        otherFields["alpha_pattern"] = .object(alphaPattern.mapValues(Self.number))
        try validate()
    }

    /// A number as PEFT users write it: an integer when it is one.
    static func number(_ x: Double) -> JSONValue { x.rounded() == x && abs(x) < 1e15 ? .int(Int(x)) : .double(x) }

    /// alpha/r or alpha/sqrt(r), as PEFT applies it to the adapter's output.
    public var scaling: Double { loraScaling(rank: rank, alpha: alpha, useRSLoRA: useRSLoRA) }

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

        guard case .int(let r)? = take("r") else { throw bad("r is missing or not an integer") }
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
        switch take("target_modules") {
        case .array(let items)?:
            targetModules = try items.map { item in
                guard case .string(let s) = item else { throw bad("target_modules holds a non-string") }
                return s
            }
        case .string(let pattern)?:
            guard isValidRegularExpression(pattern) else {
                throw bad("target_modules \"\(pattern)\" is not a regular expression")
            }
            targetModules = []
            targetPattern = pattern
        default: throw bad("target_modules is missing or not a list")
        }
        useRSLoRA = try Self.bool(take("use_rslora"), default: false, name: "use_rslora", path: path)
        inferenceMode = try Self.bool(take("inference_mode"), default: false, name: "inference_mode", path: path)
        switch take("base_model_name_or_path") {
        case .string(let s)?: baseModelNameOrPath = s
        case .null?, nil: baseModelNameOrPath = nil
        default: throw bad("base_model_name_or_path is not a string")
        }
        rank = r
        otherFields = fields
        for (key, neutral) in Self.unsupportedUnlessNeutral {
            if let value = fields[key], value != .null, value != neutral {
                throw bad("\(key) = \(value.pythonJSON().replacingOccurrences(of: "\n", with: "")) is not supported (only plain LoRA on linear layers)")
            }
        }
        for (field, integral) in [("rank_pattern", true), ("alpha_pattern", false)] {
            switch fields[field] {
            case nil, .null?: continue
            case .object(let o)?:
                for (pattern, value) in o {
                    guard isValidPatternKey(pattern) else {
                        throw bad("\(field) key \"\(pattern)\" is not a regular expression")
                    }
                    switch value {
                    case .int(let v) where v > 0 && (!integral || v <= 65_536): continue
                    case .double(let v) where !integral && v.isFinite && v > 0: continue
                    default: throw bad("\(field)[\"\(pattern)\"] must be a positive \(integral ? "integer" : "number")")
                    }
                }
            default: throw bad("\(field) is not an object")
            }
        }
        if useRSLoRA, !rankPattern.isEmpty || !alphaPattern.isEmpty {
            // PEFT refuses this combination when it saves; an adapter that has it was not made by PEFT.
            throw bad("use_rslora with rank_pattern or alpha_pattern is not supported")
        }
        if let task = fields["task_type"], task != .null, task != .string("SEQ_2_SEQ_LM") {
            throw bad("task_type is \(task.pythonJSON()), not SEQ_2_SEQ_LM")
        }
        do { try validate() } catch let e as PipelineError { throw PipelineError(e.status, e.message, path: path) }
    }

    private static func bool(_ v: JSONValue?, default d: Bool, name: String, path: String?) throws -> Bool {
        switch v {
        case .bool(let b)?: return b
        case nil, .null?: return d
        default: throw PipelineError.badInput("\(name) is not true or false", path: path)
        }
    }

    // MARK: Validation

    /// Range checks on the typed fields, and that the targets are T5 linear layers.
    public func validate() throws {
        guard rank > 0, rank <= 65_536 else { throw PipelineError.usage("r = \(rank) must be in 1...65536") }
        guard alpha.isFinite, alpha > 0 else { throw PipelineError.usage("lora_alpha = \(alpha) must be positive") }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw PipelineError.usage("lora_dropout = \(dropout) must be in [0, 1)")
        }
        if targetPattern == nil { try validateTargets(targetModules) }
    }

    /// r of the module `name`: its rank_pattern entry, else `r`.
    public func rank(module name: String) -> Int {
        let pattern = rankPattern
        return peftPatternKey(pattern.keys, moduleName: name).flatMap { pattern[$0] } ?? rank
    }

    /// lora_alpha of the module `name`: its alpha_pattern entry, else `lora_alpha`.
    public func alpha(module name: String) -> Double {
        let pattern = alphaPattern
        return peftPatternKey(pattern.keys, moduleName: name).flatMap { pattern[$0] } ?? alpha
    }

    /// PEFT's rule for whether the module `name` (e.g. `encoder.block.0.layer.0.SelfAttention.q`)
    /// is adapted: a full match of the pattern, or a list entry equal to the name or a "."-suffix of it.
    public func targets(module name: String) -> Bool {
        guard let targetPattern else { return peftTargetMatches(moduleName: name, targets: targetModules) }
        return peftTargetPatternMatches(targetPattern, moduleName: name)
    }

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
        fields["r"] = .int(rank)
        fields["lora_alpha"] = Self.number(alpha)
        fields["lora_dropout"] = .double(dropout)
        fields["target_modules"] = targetPattern.map { .string($0) } ?? .array(targetModules.sorted().map { .string($0) })
        fields["use_rslora"] = .bool(useRSLoRA)
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
    /// (see Tests/Fixtures/LoRA/adapter_config_reference.json).
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
