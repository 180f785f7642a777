// What a training run updates: LoRA adapters on matched linears (everything else frozen), or every weight.

public struct LoRASettings: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    /// Module-name suffixes as PEFT's target_modules: "q" matches "…SelfAttention.q" and "…EncDecAttention.q".
    public var targetModules: [String]
    /// rsLoRA scaling alpha/√r instead of alpha/r.
    public var useRSLoRA: Bool

    public init(rank: Int = 32, alpha: Float = 32, dropout: Float = 0.05, targetModules: [String] = ["q", "v"],
                useRSLoRA: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.useRSLoRA = useRSLoRA
    }

    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// PEFT's rule: the module path equals a target or ends with "." + target.
    public func matches(_ modulePath: String) -> Bool {
        targetModules.contains { modulePath == $0 || modulePath.hasSuffix("." + $0) }
    }
}

public enum TrainingMode: Sendable, Equatable {
    case lora(LoRASettings)
    /// Full fine-tuning: every weight (embeddings, norms, relative-position tables, linears) is trained.
    case full
}
