import PEFT

/// What a training run updates: LoRA adapters on the modules `LoRAConfig` matches (everything else frozen),
/// or every weight.
public enum TrainingMode: Sendable, Equatable {
    case lora(LoRAConfig)
    /// Full fine-tuning: every weight (embeddings, norms, relative-position tables, linears) is trained.
    case full
}
