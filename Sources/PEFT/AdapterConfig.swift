import Failures
import Foundation
import JSON

/// A PEFT `adapter_config.json` of any method this build knows (`AdapterMethod`: LoRA, IA3, LoHa, LoKr, prompt
/// tuning, P-tuning, prefix tuning). The fields this
/// product acts on are typed; every other field is kept as read (or PEFT 0.21.2's defaults for a new config) and
/// written back, so `jsonData()` gives the bytes PEFT's `save_pretrained` writes. Each method reads and writes its
/// own fields (`<Method>Config+AdapterFields.swift`); this file holds what they share.
public struct AdapterConfig: Equatable, Sendable {
    /// The method and its settings, from `peft_type` and the method's fields.
    public var method: AdapterMethod
    /// `base_model_name_or_path`: the model the adapter belongs to (e.g. `google/flan-t5-base`).
    public var baseModelNameOrPath: String?
    /// `inference_mode`: PEFT sets it when saving a model for inference.
    public var inferenceMode: Bool
    /// Every other field, by its JSON name (kept as read, so they are written back byte for byte).
    public var otherFields: [String: JSONValue]

    /// The version whose defaults and field set a new config carries.
    public static let peftVersion = "0.21.2"
    /// The largest adapter_config.json accepted (PEFT's are about 1 KB).
    public static let maxFileSize = 1 << 20

    /// The LoRA settings, when the adapter is LoRA.
    public var lora: LoRAConfig? { method.lora }

    /// A new config in PEFT 0.21.2's format for a seq2seq LM.
    public init(method: AdapterMethod, baseModelNameOrPath: String?, inferenceMode: Bool = false) throws {
        self.method = method
        self.baseModelNameOrPath = baseModelNameOrPath
        self.inferenceMode = inferenceMode
        switch method {
        case .lora(let c): otherFields = LoRAConfig.newFields(c)
        case .ia3: otherFields = IA3Config.peftDefaults
        case .loha(let c): otherFields = LycorisConfig.newFields(c, peftType: "LOHA")
        case .lokr(let c): otherFields = LycorisConfig.newFields(c, peftType: "LOKR")
        case .promptTuning(let c):
            otherFields = PromptConfig.peftDefaults(pTuning: false)
            // PEFT loads the TEXT initialisation's tokenizer from here: the base model's own
            if c.initialization == .text { otherFields["tokenizer_name_or_path"] = baseModelNameOrPath.map { .string($0) } ?? .null }
        case .pTuning: otherFields = PromptConfig.peftDefaults(pTuning: true)
        case .prefixTuning: otherFields = PromptConfig.peftDefaults(pTuning: false, prefix: true)
        }
        try method.validate()
    }

    /// A new LoRA config (r, alpha, … from `lora`), bias "none".
    public init(lora: LoRAConfig, baseModelNameOrPath: String?, inferenceMode: Bool = false) throws {
        try self.init(method: .lora(lora), baseModelNameOrPath: baseModelNameOrPath, inferenceMode: inferenceMode)
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

    /// The `peft_type`s this build reads.
    public static let knownTypes = ["LORA", "IA3", "LOHA", "LOKR", "PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING"]

    /// Parses and validates a config; `path` names the file in errors.
    public init(jsonData data: Data, path: String? = nil) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        guard data.count <= Self.maxFileSize else { throw bad("adapter config larger than \(Self.maxFileSize) bytes") }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch let error as PipelineError { throw bad(error.message) }
        guard case .object(var fields) = root else { throw bad("adapter config is not a JSON object") }

        inferenceMode = try Self.bool(fields.removeValue(forKey: "inference_mode"), default: false, name: "inference_mode", path: path)
        switch fields.removeValue(forKey: "base_model_name_or_path") {
        case .string(let s)?: baseModelNameOrPath = s
        case .null?, nil: baseModelNameOrPath = nil
        default: throw bad("base_model_name_or_path is not a string")
        }
        if let task = fields["task_type"], task != .null, task != .string("SEQ_2_SEQ_LM") {
            throw bad("task_type is \(task.pythonJSON()), not SEQ_2_SEQ_LM")
        }
        let unsupported: [String: JSONValue]
        switch fields["peft_type"] {
        case .string("LORA")?:
            method = .lora(try LoRAConfig(taking: &fields, path: path))
            unsupported = LoRAConfig.unsupportedUnlessNeutral
        case .string("IA3")?:
            method = .ia3(try IA3Config(taking: &fields, path: path))
            unsupported = IA3Config.unsupportedUnlessNeutral
        case .string("LOHA")?:
            method = .loha(try LycorisConfig(taking: &fields, lokr: false, path: path))
            unsupported = LycorisConfig.unsupportedUnlessNeutral
        case .string("LOKR")?:
            method = .lokr(try LycorisConfig(taking: &fields, lokr: true, path: path))
            unsupported = LycorisConfig.unsupportedUnlessNeutral
        case .string("PROMPT_TUNING")?:
            method = .promptTuning(try PromptConfig(taking: &fields, pTuning: false, path: path))
            unsupported = PromptConfig.unsupportedUnlessNeutral
        case .string("P_TUNING")?:
            method = .pTuning(try PromptConfig(taking: &fields, pTuning: true, path: path))
            unsupported = PromptConfig.unsupportedUnlessNeutral
        case .string("PREFIX_TUNING")?:
            method = .prefixTuning(try PromptConfig(taking: &fields, pTuning: false, prefix: true, path: path))
            unsupported = PromptConfig.unsupportedUnlessNeutral
        case .string(let other)?:
            throw bad("peft_type \"\(other)\" is not a method this build knows (\(Self.knownTypes.joined(separator: ", ")))")
        default:
            throw bad("peft_type is missing or not a string")
        }
        otherFields = fields
        for (key, neutral) in unsupported.sorted(by: { $0.key < $1.key }) {
            if let value = fields[key], value != .null, value != neutral {
                throw bad("\(key) = \(value.pythonJSON().replacingOccurrences(of: "\n", with: "")) is not supported "
                          + "(only \(method.peftType) on linear layers, PEFT's plain form)")
            }
        }
        do { try method.validate() } catch let e as PipelineError { throw PipelineError(e.status, e.message, path: path) }
    }

    static func bool(_ v: JSONValue?, default d: Bool, name: String, path: String?) throws -> Bool {
        switch v {
        case .bool(let b)?: return b
        case nil, .null?: return d
        default: throw PipelineError.badInput("\(name) is not true or false", path: path)
        }
    }

    /// A list of strings (`target_modules` as PEFT writes a set), or one string (a full-match expression).
    static func modules(_ v: JSONValue?, name: String, path: String?) throws -> (list: [String], pattern: String?)? {
        switch v {
        case .array(let items)?:
            return (try items.map { item in
                guard case .string(let s) = item else { throw PipelineError.badInput("\(name) holds a non-string", path: path) }
                return s
            }, nil)
        case .string(let pattern)?: return ([], pattern)
        case nil, .null?: return nil
        default: throw PipelineError.badInput("\(name) is not a list or a string", path: path)
        }
    }

    /// A list written as PEFT writes its sets: sorted (PEFT's own order on disk follows the string hash seed).
    static func modulesJSON(_ list: [String], pattern: String?) -> JSONValue {
        pattern.map { .string($0) } ?? .array(list.sorted().map { .string($0) })
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
        switch method {
        case .lora(let c): c.write(into: &fields)
        case .ia3(let c): c.write(into: &fields)
        case .loha(let c): c.write(into: &fields, lokr: false)
        case .lokr(let c): c.write(into: &fields, lokr: true)
        case .promptTuning(let c), .pTuning(let c): c.write(into: &fields)
        case .prefixTuning(let c): c.write(into: &fields, prefix: true)
        }
        fields["inference_mode"] = .bool(inferenceMode)
        fields["base_model_name_or_path"] = baseModelNameOrPath.map { .string($0) } ?? .null
        fields["peft_type"] = .string(method.peftType)
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
}
