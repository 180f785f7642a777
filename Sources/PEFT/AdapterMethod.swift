/// Which PEFT method an adapter is, with its settings: what `train.mode` chooses and `adapter_config.json`'s
/// `peft_type` names. Each case's config is the one place its rules live.
public enum AdapterMethod: Sendable, Equatable {
    case lora(LoRAConfig)
    case ia3(IA3Config)
    case loha(LycorisConfig)
    case lokr(LycorisConfig)
    case promptTuning(PromptConfig)
    case pTuning(PromptConfig)
    case prefixTuning(PromptConfig)

    /// PEFT's `peft_type`.
    public var peftType: String {
        switch self {
        case .lora: return "LORA"
        case .ia3: return "IA3"
        case .loha: return "LOHA"
        case .lokr: return "LOKR"
        case .promptTuning: return "PROMPT_TUNING"
        case .pTuning: return "P_TUNING"
        case .prefixTuning: return "PREFIX_TUNING"
        }
    }

    /// pipeline.yaml's `train.mode` and section name.
    public var name: String {
        switch self {
        case .lora: return "lora"
        case .ia3: return "ia3"
        case .loha: return "loha"
        case .lokr: return "lokr"
        case .promptTuning: return "prompt_tuning"
        case .pTuning: return "p_tuning"
        case .prefixTuning: return "prefix_tuning"
        }
    }

    /// Whether the method adapts the linear at `modulePath`.
    public func matches(_ modulePath: String) -> Bool {
        switch self {
        case .lora(let c): return c.matches(modulePath)
        case .ia3(let c): return c.matches(modulePath)
        case .loha(let c), .lokr(let c): return c.matches(modulePath)
        case .promptTuning, .pTuning, .prefixTuning: return false
        }
    }

    /// The method's one range check (`LoRAConfig.validate`, `IA3Config.validate`).
    public func validate(naming name: (String) -> String = { $0 }) throws {
        switch self {
        case .lora(let c): try c.validate(naming: name)
        case .ia3(let c): try c.validate(naming: name)
        case .loha(let c), .lokr(let c): try c.validate(naming: name)
        case .promptTuning(let c), .pTuning(let c), .prefixTuning(let c): try c.validate(naming: name)
        }
    }

    /// The check with the fields named as pipeline.yaml names them (`lora.alpha`, `ia3.target_modules`, …).
    public func validateAsPipelineSettings() throws {
        switch self {
        case .lora(let c): try c.validate(naming: LoRAConfig.pipelineName)
        default: try validate(naming: { "\(name).\($0)" })
        }
    }

    public var lora: LoRAConfig? { if case .lora(let c) = self { return c } else { return nil } }
    public var ia3: IA3Config? { if case .ia3(let c) = self { return c } else { return nil } }
    /// LoHa's or LoKr's settings.
    public var lycoris: LycorisConfig? {
        switch self {
        case .loha(let c), .lokr(let c): return c
        default: return nil
        }
    }

    /// Prompt tuning's or P-tuning's settings: the methods that add rows in front of the encoder's input.
    public var prompt: PromptConfig? {
        switch self {
        case .promptTuning(let c), .pTuning(let c): return c
        default: return nil
        }
    }

    /// Prefix tuning's settings: learned keys and values in front of the decoder's self-attention.
    public var prefix: PromptConfig? { if case .prefixTuning(let c) = self { return c } else { return nil } }

    /// Whether PEFT can fold the adapter into the base weights (`merge_and_unload`): not a prompt or a prefix, which
    /// are inputs.
    public var canMerge: Bool { prompt == nil && prefix == nil }
}
