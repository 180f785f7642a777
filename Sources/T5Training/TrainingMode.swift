import PEFT

/// What a training run updates: a PEFT adapter on the modules its config matches (everything else frozen), or
/// every weight.
public enum TrainingMode: Sendable, Equatable {
    case adapter(AdapterMethod)
    /// Full fine-tuning: every weight (embeddings, norms, relative-position tables, linears) is trained.
    case full

    /// LoRA with `config`.
    public static func lora(_ config: LoRAConfig) -> TrainingMode { .adapter(.lora(config)) }
    /// IA3 with `config`.
    public static func ia3(_ config: IA3Config) -> TrainingMode { .adapter(.ia3(config)) }

    /// The adapter method, nil for a full fine-tune.
    public var method: AdapterMethod? { if case .adapter(let m) = self { return m } else { return nil } }
}
