import Failures

/// PEFT's `LoHaConfig` and `LoKrConfig` (both `LycorisConfig`s, from the LyCORIS project): a full-size weight update
/// ΔW built from small factors per targeted linear, scaled by alpha/r. LoHa: ΔW = (w1a·w1b) ⊙ (w2a·w2b) · α/r;
/// LoKr: ΔW = kron(w1, w2) · α/r with each factor full or low-rank (`LoKrShape`). pipeline.yaml's `loha.*` / `lokr.*`
/// and an adapter_config.json of `peft_type` LOHA / LOKR become one of these (`AdapterMethod.loha` / `.lokr`).
public struct LycorisConfig: Sendable, Equatable {
    /// `r` and `alpha` for every module without a `rankPattern` / `alphaPattern` entry.
    public var rank: Int
    public var alpha: Double
    /// `target_modules` as a list (PEFT's suffix rule) or one full-match expression.
    public var targetModules: [String]
    public var targetPattern: String?
    /// `rank_pattern` / `alpha_pattern`, by PEFT's `get_pattern_key` rule, as LoRA's.
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    /// LoKr only: `decompose_both` (w1 low-rank too, when r is small enough) and `decompose_factor` (the
    /// factorisation's target divisor, -1 for near the square root).
    public var decomposeBoth: Bool
    public var decomposeFactor: Int

    /// PEFT's defaults (r 8, alpha 8; target_modules for T5 as LoRA's mapping: q and v).
    public init(rank: Int = 8, alpha: Double = 8, targetModules: [String] = ["q", "v"], targetPattern: String? = nil,
                rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:], decomposeBoth: Bool = false,
                decomposeFactor: Int = -1) {
        self.rank = rank
        self.alpha = alpha
        self.targetModules = targetModules
        self.targetPattern = targetPattern
        self.rankPattern = rankPattern
        self.alphaPattern = alphaPattern
        self.decomposeBoth = decomposeBoth
        self.decomposeFactor = decomposeFactor
    }

    /// The same per-module rules as LoRA's (targets, rank_pattern, alpha_pattern): one LoRAConfig holds them, so they
    /// are written once.
    var rules: LoRAConfig {
        LoRAConfig(rank: rank, alpha: alpha, dropout: 0, targetModules: targetModules, targetPattern: targetPattern,
                   rankPattern: rankPattern, alphaPattern: alphaPattern)
    }

    public func rank(of modulePath: String) -> Int { rules.rank(of: modulePath) }

    public func alpha(of modulePath: String) -> Double { rules.alpha(of: modulePath) }

    /// alpha/r as PEFT's `self.scaling` (a Python float), rounded once to Float as PyTorch applies it.
    public func scale(of modulePath: String) -> Float { Float(alpha(of: modulePath) / Double(rank(of: modulePath))) }

    public func matches(_ modulePath: String) -> Bool { rules.matches(modulePath) }

    /// LoRA's range check (ranks, positive finite alphas, pattern keys that compile, T5 linear targets) and a
    /// decompose_factor that is -1 or positive. Errors name fields by `name(peftField)`.
    public func validate(naming name: (String) -> String = { $0 }) throws {
        // LoRA's check with LyCORIS's field name for alpha
        try rules.validate(naming: { name($0 == "lora_alpha" ? "alpha" : $0) })
        guard decomposeFactor == -1 || decomposeFactor > 0 else {
            throw PipelineError.usage("\(name("decompose_factor")) = \(decomposeFactor) must be -1 or positive")
        }
    }

    /// The first rank_pattern / alpha_pattern key that matches none of `adaptedPaths` (a typo: PEFT ignores it).
    public func unusedPatternKey(adaptedPaths: [String]) -> String? { rules.unusedPatternKey(adaptedPaths: adaptedPaths) }
}
