/// The four ROUGE variants this project reports, in rouge_score's order.
public enum RougeType: String, CaseIterable, Codable, Sendable, CodingKeyRepresentable {
    /// Unigram overlap.
    case rouge1
    /// Bigram overlap.
    case rouge2
    /// Longest common subsequence over the whole text.
    case rougeL
    /// Summary-level union LCS over newline-separated sentences.
    case rougeLsum
}

/// The four scores of one example.
public struct ExampleScores: Codable, Equatable, Sendable {
    public var rouge1: Score
    public var rouge2: Score
    public var rougeL: Score
    public var rougeLsum: Score

    public init(rouge1: Score, rouge2: Score, rougeL: Score, rougeLsum: Score) {
        self.rouge1 = rouge1
        self.rouge2 = rouge2
        self.rougeL = rougeL
        self.rougeLsum = rougeLsum
    }

    public subscript(type: RougeType) -> Score {
        switch type {
        case .rouge1: return rouge1
        case .rouge2: return rouge2
        case .rougeL: return rougeL
        case .rougeLsum: return rougeLsum
        }
    }
}
