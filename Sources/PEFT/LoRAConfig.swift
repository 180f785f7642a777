import Failures

/// PEFT's `LoraConfig`, the settings that decide an adapter's math: which modules it adapts, each one's r and
/// lora_alpha, the scale and the dropout. pipeline.yaml's `lora.*` (through `TrainLoRAStage`) and an
/// `adapter_config.json` (`AdapterConfig.lora`) both become one of these; the trainer and the inference
/// engine take it from there.
public struct LoRAConfig: Sendable, Equatable {
    /// `r`: the rank of every adapted module without a `rankPattern` entry.
    public var rank: Int
    /// `lora_alpha` (likewise, without an `alphaPattern` entry).
    public var alpha: Double
    /// `lora_dropout`: dropout on the adapter's input, in training.
    public var dropout: Double
    /// `target_modules` as a list: module-name suffixes, so "q" matches "…SelfAttention.q" and "…EncDecAttention.q".
    public var targetModules: [String]
    /// `target_modules` given as one string: a regular expression PEFT full-matches against each module's name
    /// (`re.fullmatch`); `targetModules` is then empty.
    public var targetPattern: String?
    /// `use_rslora`: scaling alpha/√r instead of alpha/r.
    public var useRSLoRA: Bool
    /// `rank_pattern` / `alpha_pattern`: per-module r and lora_alpha, pattern key → value, by PEFT's rule
    /// (`peftPatternKey`).
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]

    /// The ranks accepted, for `r` and every `rank_pattern` value.
    public static let ranks = 1...65_536

    public init(rank: Int = 32, alpha: Double = 32, dropout: Double = 0.05, targetModules: [String] = ["q", "v"],
                targetPattern: String? = nil, useRSLoRA: Bool = false, rankPattern: [String: Int] = [:],
                alphaPattern: [String: Double] = [:]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.targetPattern = targetPattern
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

    /// The factor on the module's adapter output: alpha/r, or alpha/√r with rsLoRA (`loraScale`).
    public func scale(of modulePath: String) -> Float {
        loraScale(rank: rank(of: modulePath), alpha: alpha(of: modulePath), useRSLoRA: useRSLoRA)
    }

    /// PEFT's rule for whether the module at `modulePath` (e.g. `encoder.block.0.layer.0.SelfAttention.q`) is
    /// adapted: a full match of the pattern, or a list entry equal to the path or a "."-suffix of it.
    public func matches(_ modulePath: String) -> Bool {
        guard let targetPattern else { return peftTargetMatches(moduleName: modulePath, targets: targetModules) }
        return peftTargetPatternMatches(targetPattern, moduleName: modulePath)
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

    /// The one range check: r and every rank_pattern value in `ranks`, positive finite alphas, dropout in [0, 1),
    /// pattern keys that compile, no rsLoRA with patterns (PEFT refuses that when it saves), targets that are T5
    /// linear layers. Errors name each field by `name(peftField)`: PEFT's own names by default, pipeline.yaml's
    /// (`pipelineName`) where the values came from there.
    public func validate(naming name: (String) -> String = { $0 }) throws {
        func fail(_ message: String) -> PipelineError { .usage(message) }
        guard Self.ranks.contains(rank) else { throw fail("\(name("r")) = \(rank) must be in \(Self.ranks)") }
        guard alpha.isFinite, alpha > 0 else { throw fail("\(name("lora_alpha")) = \(alpha) must be positive") }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw fail("\(name("lora_dropout")) = \(dropout) must be in [0, 1)")
        }
        for (key, r) in rankPattern.sorted(by: { $0.key < $1.key }) {
            guard isValidPatternKey(key) else { throw fail("\(name("rank_pattern")) key \"\(key)\" is not a regular expression") }
            guard Self.ranks.contains(r) else {
                throw fail("\(name("rank_pattern"))[\"\(key)\"] must be a positive integer up to \(Self.ranks.upperBound), not \(r)")
            }
        }
        for (key, a) in alphaPattern.sorted(by: { $0.key < $1.key }) {
            guard isValidPatternKey(key) else { throw fail("\(name("alpha_pattern")) key \"\(key)\" is not a regular expression") }
            guard a.isFinite, a > 0 else { throw fail("\(name("alpha_pattern"))[\"\(key)\"] must be a positive number, not \(a)") }
        }
        guard !useRSLoRA || (rankPattern.isEmpty && alphaPattern.isEmpty) else {
            throw fail("\(name("use_rslora")) cannot be combined with \(name("rank_pattern")) or \(name("alpha_pattern")) "
                       + "(PEFT refuses it too)")
        }
        if let targetPattern {
            guard isValidRegularExpression(targetPattern) else {
                throw fail("\(name("target_modules")) \"\(targetPattern)\" is not a regular expression")
            }
        } else {
            try validateTargets(targetModules)
        }
    }

    /// pipeline.yaml's name of a PEFT field: `lora.r`, `lora.alpha`, `lora.dropout`, `lora.target_modules`, ….
    public static func pipelineName(_ peftField: String) -> String {
        "lora." + (peftField.hasPrefix("lora_") ? String(peftField.dropFirst("lora_".count)) : peftField)
    }
}

/// How PEFT scales the adapter's output: `alpha / r`, or `alpha / sqrt(r)` with rsLoRA (a Python float).
public func loraScaling(rank r: Int, alpha: Double, useRSLoRA: Bool) -> Double {
    useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)
}

/// The factor both engines multiply the adapter's output by: PEFT's scaling rounded once to Float, as
/// PyTorch applies a Python float to a float32 tensor. The one place the scale is computed.
public func loraScale(rank r: Int, alpha: Double, useRSLoRA: Bool) -> Float {
    Float(loraScaling(rank: r, alpha: alpha, useRSLoRA: useRSLoRA))
}
