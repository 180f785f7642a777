/// Every parameter `pipeline.yaml` may hold, with its type. A key not listed here is an
/// error (a typo must not silently fall back to a default), and so is a listed key that
/// a config file leaves out: the YAML file, not the code, holds every value.
public enum ParameterType: Equatable, Sendable {
    case string, int, double, bool, stringList
    case choice([String])
    /// A mapping of names (e.g. PEFT's module patterns) to positive numbers, integers only when `integers`.
    case positiveNumbers(integers: Bool)

    var name: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number"
        case .bool: "true or false"
        case .stringList: "a list of strings"
        case .choice(let c): "one of " + c.joined(separator: ", ")
        case .positiveNumbers(let integers): "a mapping of names to positive \(integers ? "integers" : "numbers")"
        }
    }
}

public struct ParameterSpec: Sendable {
    public let key: String
    public let type: ParameterType
    /// The values an integer may take, where it has bounds: a size or count that would exhaust the
    /// machine (a thread or batch of thousands) or mean nothing (0 beams) is refused when the
    /// configuration is read, naming the key and the file, rather than failing deep in a stage.
    public var range: ClosedRange<Int>? = nil
    /// The values a number may take (every number must also be finite): a learning rate of NaN, a beta of 1.5 or
    /// an alpha of -1 is refused when the configuration is read, not after a run of training steps.
    public var bounds: NumberBounds? = nil
    /// An integer that may be given as `auto`: this machine's active processor count (inside `range`). The stages
    /// read, key and record the count, so a lock says how many threads made its bytes.
    public var acceptsAuto = false
    /// `paths.*` say where stable outputs are exposed; they never change what a stage computes,
    /// so they are not part of any stage key.
    public var isLocation: Bool { key.hasPrefix("paths.") }
}

/// An interval of numbers, each end open or closed (nil: unbounded).
public struct NumberBounds: Sendable {
    public var lower: Double?, lowerIncluded = true
    public var upper: Double?, upperIncluded = true

    /// ≥ `x`.
    public static func atLeast(_ x: Double) -> Self { .init(lower: x) }
    /// > `x`.
    public static func above(_ x: Double) -> Self { .init(lower: x, lowerIncluded: false) }
    /// In [low, high).
    public static func from(_ low: Double, below high: Double) -> Self { .init(lower: low, upper: high, upperIncluded: false) }
    /// In (low, high).
    public static func between(_ low: Double, _ high: Double) -> Self {
        .init(lower: low, lowerIncluded: false, upper: high, upperIncluded: false)
    }

    public func contains(_ x: Double) -> Bool {
        if let lower, lowerIncluded ? x < lower : x <= lower { return false }
        if let upper, upperIncluded ? x > upper : x >= upper { return false }
        return true
    }

    /// "a number ≥ 0", "a number in [0, 1)", "a number > 0".
    public var text: String {
        func f(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        switch (lower, upper) {
        case let (l?, u?): return "a number in \(lowerIncluded ? "[" : "(")\(f(l)), \(f(u))\(upperIncluded ? "]" : ")")"
        case let (l?, nil): return "a number \(lowerIncluded ? "≥" : ">") \(f(l))"
        case let (nil, u?): return "a number \(upperIncluded ? "≤" : "<") \(f(u))"
        case (nil, nil): return "a finite number"
        }
    }
}

public enum ParameterSchema {
    public static let all: [ParameterSpec] = [
        // Where stable outputs are exposed (not hashed).
        .init(key: "paths.data", type: .string),
        .init(key: "paths.metrics", type: .string),
        .init(key: "paths.reports", type: .string),

        .init(key: "runtime.threads", type: .int, range: 1...256, acceptsAuto: true),

        .init(key: "samsum.archive", type: .string),
        .init(key: "samsum.urls", type: .stringList),
        .init(key: "samsum.sha256", type: .string),
        .init(key: "samsum.size", type: .int),
        .init(key: "samsum.invalid_records", type: .choice(["error", "skip"])),

        .init(key: "model.repo", type: .string),
        .init(key: "model.revision", type: .string),
        .init(key: "model.local_dir", type: .string),
        .init(key: "model.endpoint", type: .string),

        .init(key: "tokenize.prompt", type: .string),
        .init(key: "tokenize.subset_every", type: .int, range: 1...1_000_000),
        .init(key: "tokenize.subset_offset", type: .int, range: 0...999_999),
        .init(key: "tokenize.max_source_length", type: .int),
        .init(key: "tokenize.max_target_length", type: .int),

        .init(key: "lora.r", type: .int, range: 1...4096),
        .init(key: "lora.alpha", type: .double, bounds: .above(0)),
        .init(key: "lora.dropout", type: .double, bounds: .from(0, below: 1)),
        .init(key: "lora.target_modules", type: .stringList),
        .init(key: "lora.use_rslora", type: .bool),
        .init(key: "lora.rank_pattern", type: .positiveNumbers(integers: true)),
        .init(key: "lora.alpha_pattern", type: .positiveNumbers(integers: false)),

        .init(key: "ia3.target_modules", type: .stringList),
        .init(key: "ia3.feedforward_modules", type: .stringList),

        .init(key: "loha.r", type: .int, range: 1...4096),
        .init(key: "loha.alpha", type: .double, bounds: .above(0)),
        .init(key: "loha.target_modules", type: .stringList),
        .init(key: "loha.rank_pattern", type: .positiveNumbers(integers: true)),
        .init(key: "loha.alpha_pattern", type: .positiveNumbers(integers: false)),

        .init(key: "lokr.r", type: .int, range: 1...4096),
        .init(key: "lokr.alpha", type: .double, bounds: .above(0)),
        .init(key: "lokr.target_modules", type: .stringList),
        .init(key: "lokr.rank_pattern", type: .positiveNumbers(integers: true)),
        .init(key: "lokr.alpha_pattern", type: .positiveNumbers(integers: false)),
        .init(key: "lokr.decompose_both", type: .bool),
        .init(key: "lokr.decompose_factor", type: .int, range: -1...65_536),

        .init(key: "prompt_tuning.num_virtual_tokens", type: .int, range: 1...1024),
        .init(key: "prompt_tuning.prompt_tuning_init", type: .choice(["RANDOM", "TEXT"])),
        .init(key: "prompt_tuning.prompt_tuning_init_text", type: .string),

        .init(key: "p_tuning.num_virtual_tokens", type: .int, range: 1...1024),
        .init(key: "p_tuning.encoder_hidden_size", type: .int, range: 0...65_536),

        .init(key: "prefix_tuning.num_virtual_tokens", type: .int, range: 1...1024),

        .init(key: "train.mode", type: .choice(["lora", "ia3", "loha", "lokr", "prompt_tuning", "p_tuning", "prefix_tuning", "full"])),
        .init(key: "train.epochs", type: .int, range: 0...1_000_000),
        .init(key: "train.max_steps", type: .int, range: 0...1_000_000_000),
        .init(key: "train.batch_size", type: .int, range: 1...4096),
        .init(key: "train.grad_accum", type: .int, range: 1...4096),
        .init(key: "train.lr", type: .double, bounds: .atLeast(0)),
        .init(key: "train.weight_decay", type: .double, bounds: .atLeast(0)),
        .init(key: "train.beta1", type: .double, bounds: .from(0, below: 1)),
        .init(key: "train.beta2", type: .double, bounds: .from(0, below: 1)),
        .init(key: "train.eps", type: .double, bounds: .atLeast(0)),
        .init(key: "train.lr_scheduler_type", type: .choice(["linear", "cosine", "constant", "constant_with_warmup"])),
        .init(key: "train.warmup_steps", type: .int, range: 0...1_000_000_000),
        .init(key: "train.warmup_ratio", type: .double, bounds: .from(0, below: 1)),
        .init(key: "train.max_grad_norm", type: .double, bounds: .above(0)),
        .init(key: "train.dropout_rate", type: .double, bounds: .from(0, below: 1)),
        .init(key: "train.label_smoothing", type: .double, bounds: .from(0, below: 1)),
        .init(key: "train.group_by_length", type: .bool),
        .init(key: "train.seed", type: .int),
        .init(key: "train.checkpoint_every", type: .int, range: 1...1_000_000_000),
        .init(key: "train.eval_every", type: .int, range: 0...1_000_000_000),
        .init(key: "train.eval_limit", type: .int, range: 0...1_000_000_000),
        .init(key: "train.keep", type: .choice(["last", "best"])),
        .init(key: "train.early_stopping_patience", type: .int, range: 0...1_000_000),
        .init(key: "train.metric_for_best_model", type: .choice(["loss", "rouge1", "rouge2", "rougeL", "rougeLsum"])),
        .init(key: "train.weights_dtype", type: .choice(["f32", "bf16", "nf4"])),
        .init(key: "train.merge", type: .bool),

        .init(key: "generation.num_beams", type: .int, range: 1...64),
        .init(key: "generation.max_new_tokens", type: .int, range: 1...4096),
        .init(key: "generation.min_new_tokens", type: .int, range: 0...4096),
        .init(key: "generation.length_penalty", type: .double, bounds: NumberBounds()),
        .init(key: "generation.early_stopping", type: .bool),
        .init(key: "generation.no_repeat_ngram_size", type: .int, range: 0...4096),
        .init(key: "generation.repetition_penalty", type: .double, bounds: .above(0)),
        .init(key: "generation.batch_size", type: .int, range: 1...4096),
        .init(key: "generation.limit", type: .int, range: 0...1_000_000_000),
        .init(key: "generation.weights_dtype", type: .choice(["f32", "bf16", "nf4"])),

        // QLoRA's 4-bit base (weights_dtype nf4): bitsandbytes' block size and double quantization.
        .init(key: "quantization.blocksize", type: .int, range: 32...4096),
        .init(key: "quantization.double_quant", type: .bool),

        .init(key: "rouge.bootstrap_samples", type: .int, range: 1...1_000_000),
        .init(key: "rouge.confidence", type: .double, bounds: .between(0, 1)),
        .init(key: "rouge.seed", type: .int),
        .init(key: "rouge.randomization_trials", type: .int, range: 1...10_000_000),
        .init(key: "rouge.tutorial_examples", type: .int, range: 1...1_000_000),
        .init(key: "rouge.lsum_split", type: .choice(["newline", "sentences"])),
    ]

    public static func spec(for key: String) -> ParameterSpec? { byKey[key] }

    private static let byKey: [String: ParameterSpec] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })
}
