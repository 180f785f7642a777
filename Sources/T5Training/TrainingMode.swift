// What a training run updates: LoRA adapters on matched linears (everything else frozen), or every weight.
import LoRA

public struct LoRASettings: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Float
    /// Module-name suffixes as PEFT's target_modules: "q" matches "…SelfAttention.q" and "…EncDecAttention.q".
    public var targetModules: [String]
    /// rsLoRA scaling alpha/√r instead of alpha/r.
    public var useRSLoRA: Bool
    /// PEFT's per-module r and lora_alpha: pattern key → value, by PEFT's pattern rule (`peftPatternKey`).
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]

    public init(rank: Int = 32, alpha: Double = 32, dropout: Float = 0.05, targetModules: [String] = ["q", "v"],
                useRSLoRA: Bool = false, rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.useRSLoRA = useRSLoRA
        self.rankPattern = rankPattern
        self.alphaPattern = alphaPattern
    }

    /// r of the module at `modulePath`: its rank_pattern entry, else `rank`.
    public func rank(of modulePath: String) -> Int {
        peftPatternKey(rankPattern.keys, moduleName: modulePath).flatMap { rankPattern[$0] } ?? rank
    }

    /// lora_alpha of the module at `modulePath`: its alpha_pattern entry, else `alpha`.
    public func alpha(of modulePath: String) -> Double {
        peftPatternKey(alphaPattern.keys, moduleName: modulePath).flatMap { alphaPattern[$0] } ?? alpha
    }

    /// The factor on the module's LoRA output: alpha/r, or alpha/√r with rsLoRA (LoRA's `loraScale`).
    public func scale(of modulePath: String) -> Float {
        loraScale(rank: rank(of: modulePath), alpha: alpha(of: modulePath), useRSLoRA: useRSLoRA)
    }

    /// The first rank_pattern / alpha_pattern key that matches none of `adaptedPaths`, as "rank_pattern key \"x\"":
    /// such a key is a typo, not a choice (PEFT ignores it silently).
    public func unusedPatternKey(adaptedPaths: [String]) -> String? {
        for (field, keys) in [("rank_pattern", rankPattern.keys.sorted()), ("alpha_pattern", alphaPattern.keys.sorted())] {
            for key in keys where !adaptedPaths.contains(where: { peftPatternKey([key], moduleName: $0) != nil }) {
                return "\(field) key \"\(key)\""
            }
        }
        return nil
    }

    /// PEFT's rule: the module path equals a target or ends with "." + target.
    public func matches(_ modulePath: String) -> Bool {
        peftTargetMatches(moduleName: modulePath, targets: targetModules)
    }
}

public enum TrainingMode: Sendable, Equatable {
    case lora(LoRASettings)
    /// Full fine-tuning: every weight (embeddings, norms, relative-position tables, linears) is trained.
    case full
}
