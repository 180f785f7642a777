// Any PEFT adapter directory this build knows, by its adapter_config.json's peft_type: what `generate` loads.
import PEFT

public enum PEFTAdapter: Sendable {
    case lora(LoRAAdapter)
    case ia3(IA3Adapter)
    /// LoHa or LoKr.
    case lycoris(LycorisAdapter)
    /// Prompt tuning or P-tuning.
    case prompt(PromptAdapter)
    case prefix(PrefixAdapter)

    /// Reads an adapter directory; a method this build does not know, or files that disagree, are one error naming
    /// the file.
    public static func load(directory: String) throws -> PEFTAdapter {
        let files = try AdapterFiles(directory: directory)
        switch files.config.method {
        case .lora(let c): return .lora(try LoRAAdapter(config: c, files: files))
        case .ia3(let c): return .ia3(try IA3Adapter(config: c, files: files))
        case .loha, .lokr: return .lycoris(try LycorisAdapter(method: files.config.method, files: files))
        case .promptTuning, .pTuning: return .prompt(try PromptAdapter(method: files.config.method, files: files))
        case .prefixTuning(let c): return .prefix(try PrefixAdapter(config: c, files: files))
        }
    }

    /// The adapted modules.
    public var modules: [String] {
        switch self {
        case .lora(let a): return a.updates.keys.sorted()
        case .ia3(let a): return a.updates.keys.sorted()
        case .lycoris(let a): return a.updates.keys.sorted()
        case .prompt, .prefix: return []
        }
    }
}

extension T5Model {
    /// Attaches an adapter of any method, unmerged.
    public func apply(_ adapter: PEFTAdapter) throws {
        switch adapter {
        case .lora(let a): try apply(a)
        case .ia3(let a): try apply(a)
        case .lycoris(let a): try apply(a)
        case .prompt(let a): try apply(a)
        case .prefix(let a): try apply(a)
        }
    }

    /// Detaches every adapter (the base model again), so another state of an adapter can be applied: train-lora's
    /// evaluation by generated ROUGE applies each evaluation's adapter to one loaded base.
    public func removeAdapters() {
        for projection in weights.projections.values { projection.adapter = nil }
        encoderPrompt = nil
        encoderPromptRows = 0
        decoderPrefix = []
        decoderPrefixRows = 0
    }
}
