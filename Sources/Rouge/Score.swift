/// Precision, recall and F1 of one ROUGE type on one example, as rouge_score's `Score`.
public struct Score: Codable, Equatable, Hashable, Sendable {
    public var precision: Double
    public var recall: Double
    public var fmeasure: Double

    public init(precision: Double, recall: Double, fmeasure: Double) {
        self.precision = precision
        self.recall = recall
        self.fmeasure = fmeasure
    }

    public static let zero = Score(precision: 0, recall: 0, fmeasure: 0)

    /// rouge_score's `scoring.fmeasure`, with the same operation order: `2 * p * r / (p + r)`.
    public init(precision: Double, recall: Double) {
        self.precision = precision
        self.recall = recall
        self.fmeasure = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    /// The three measures in rouge_score's tuple order.
    public subscript(measure: Measure) -> Double {
        switch measure {
        case .precision: return precision
        case .recall: return recall
        case .fmeasure: return fmeasure
        }
    }
}

/// One of a `Score`'s three numbers.
public enum Measure: String, CaseIterable, Codable, Sendable {
    case precision, recall, fmeasure
}
