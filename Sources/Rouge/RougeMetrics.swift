/// The content of `metrics/rouge.json`: per system, each ROUGE type's mean precision,
/// recall and F1 with bootstrap intervals; paired differences of every later system against
/// the first; and the caller's `inputs` (e.g. the keys of the stages that made the inputs).
public struct RougeMetrics: Codable, Equatable, Sendable {
    public static let currentFormat = "flanlora-rouge-metrics/1"

    public var format: String
    public var scorer: ScorerDescription
    public var inputs: [String: String]
    /// System names in the order they were given; the first is the baseline.
    public var systemOrder: [String]
    public var systems: [String: SystemSummary]
    public var comparisons: [SystemComparison]

    enum CodingKeys: String, CodingKey {
        case format, scorer, inputs, systems, comparisons
        case systemOrder = "system_order"
    }

    public init(scorer: ScorerDescription, inputs: [String: String], systemOrder: [String],
                systems: [String: SystemSummary], comparisons: [SystemComparison]) {
        self.format = Self.currentFormat
        self.scorer = scorer
        self.inputs = inputs
        self.systemOrder = systemOrder
        self.systems = systems
        self.comparisons = comparisons
    }

    public func comparison(baseline: String, candidate: String) -> SystemComparison? {
        comparisons.first { $0.baseline == baseline && $0.candidate == candidate }
    }
}

/// What produced the numbers, so a reader can reproduce them.
public struct ScorerDescription: Codable, Equatable, Sendable {
    public var compatibleWith: String
    public var usesStemmer: Bool
    public var rougeTypes: [RougeType]
    public var lsumSentenceSplit: String
    public var bootstrap: BootstrapConfiguration
    public var generator: String

    enum CodingKeys: String, CodingKey {
        case bootstrap, generator
        case compatibleWith = "compatible_with"
        case usesStemmer = "use_stemmer"
        case rougeTypes = "rouge_types"
        case lsumSentenceSplit = "lsum_sentence_split"
    }

    public init(usesStemmer: Bool, lsumSplit: LsumSplit = .newline, bootstrap: BootstrapConfiguration) {
        compatibleWith = lsumSplit.compatibleWith
        self.usesStemmer = usesStemmer
        rougeTypes = RougeType.allCases
        lsumSentenceSplit = lsumSplit.rawValue
        self.bootstrap = bootstrap
        generator = "MT19937 seeded and drawn as numpy's legacy np.random.seed/choice"
    }
}

/// A measure's plain mean over the examples and the bootstrap percentiles of the mean.
public struct MeasureSummary: Codable, Equatable, Sendable {
    public var mean: Double
    public var low: Double
    public var mid: Double
    public var high: Double

    public init(mean: Double, interval: Interval) {
        self.mean = mean
        low = interval.low
        mid = interval.mid
        high = interval.high
    }
}

/// F1, precision and recall of one ROUGE type for one system.
public struct TypeSummary: Codable, Equatable, Sendable {
    public var fmeasure: MeasureSummary
    public var precision: MeasureSummary
    public var recall: MeasureSummary

    public init(fmeasure: MeasureSummary, precision: MeasureSummary, recall: MeasureSummary) {
        self.fmeasure = fmeasure
        self.precision = precision
        self.recall = recall
    }

    public subscript(measure: Measure) -> MeasureSummary {
        switch measure {
        case .fmeasure: return fmeasure
        case .precision: return precision
        case .recall: return recall
        }
    }
}

public struct SystemSummary: Codable, Equatable, Sendable {
    /// Number of scored examples.
    public var n: Int
    public var rouge: [RougeType: TypeSummary]

    public init(n: Int, rouge: [RougeType: TypeSummary]) {
        self.n = n
        self.rouge = rouge
    }
}

/// F1 of `candidate` minus F1 of `baseline` on the same examples, with a paired bootstrap:
/// both systems' means are taken over the same resampled indices.
public struct PairedDifference: Codable, Equatable, Sendable {
    public var delta: Double
    public var low: Double
    public var mid: Double
    public var high: Double
    /// Share of resamples in which the difference is <= 0 (a one-sided bootstrap p-value
    /// for "candidate is better").
    public var shareAtOrBelowZero: Double

    enum CodingKeys: String, CodingKey {
        case delta, low, mid, high
        case shareAtOrBelowZero = "share_at_or_below_zero"
    }

    public init(delta: Double, interval: Interval, shareAtOrBelowZero: Double) {
        self.delta = delta
        low = interval.low
        mid = interval.mid
        high = interval.high
        self.shareAtOrBelowZero = shareAtOrBelowZero
    }
}

public struct SystemComparison: Codable, Equatable, Sendable {
    public var baseline: String
    public var candidate: String
    public var n: Int
    /// Always "fmeasure": the difference is of F1.
    public var measure: String
    public var rouge: [RougeType: PairedDifference]

    public init(baseline: String, candidate: String, n: Int, rouge: [RougeType: PairedDifference]) {
        self.baseline = baseline
        self.candidate = candidate
        self.n = n
        measure = Measure.fmeasure.rawValue
        self.rouge = rouge
    }
}
