/// Turns a split into model inputs: the subset (every n-th example, as the reference
/// experiment did), the prompt around each dialogue, and truncation that keeps `</s>`.
public struct SplitTokenizer: Sendable {
    public var prompt: String
    public var subsetEvery: Int
    public var subsetOffset: Int
    public var maxSourceLength: Int
    public var maxTargetLength: Int
    public var eosId: Int32 = 1

    public init(prompt: String, subsetEvery: Int, subsetOffset: Int, maxSourceLength: Int, maxTargetLength: Int) {
        self.prompt = prompt
        self.subsetEvery = subsetEvery
        self.subsetOffset = subsetOffset
        self.maxSourceLength = maxSourceLength
        self.maxTargetLength = maxTargetLength
    }

    public struct Result: Sendable {
        public var file: TokenFile
        public var truncatedSources = 0
        public var truncatedLabels = 0
    }

    /// The prompt with the dialogue in place of `{dialogue}`.
    public func promptText(for dialogue: String) -> String {
        prompt.replacingOccurrences(of: "{dialogue}", with: dialogue)
    }

    public func keeps(index: Int) -> Bool { index % subsetEvery == subsetOffset }

    /// `encode` maps text to ids without `</s>` (the tokenizer's batch API, so it can use
    /// every core); this appends `</s>` and truncates to the limits, keeping `</s>` last.
    public func tokenize(_ examples: [SummarizationExample], metadata: [String: String],
                         encode: ([String]) -> [[Int32]]) -> Result {
        let kept = examples.indices.filter(keeps(index:))
        let sources = encode(kept.map { promptText(for: examples[$0].dialogue) })
        let labels = encode(kept.map { examples[$0].summary })
        var result = Result(file: TokenFile(ids: kept.map { examples[$0].id }, exampleIndex: kept.map { Int32($0) },
                                            sources: [], labels: [], metadata: metadata))
        for (s, l) in zip(sources, labels) {
            let (src, cutS) = withEOS(s, limit: maxSourceLength)
            let (lab, cutL) = withEOS(l, limit: maxTargetLength)
            result.file.sources.append(src)
            result.file.labels.append(lab)
            if cutS { result.truncatedSources += 1 }
            if cutL { result.truncatedLabels += 1 }
        }
        return result
    }

    public func withEOS(_ ids: [Int32], limit: Int) -> ([Int32], Bool) {
        if ids.count + 1 <= limit { return (ids + [eosId], false) }
        return (Array(ids.prefix(max(0, limit - 1))) + [eosId], true)
    }
}

/// min / median / p95 / max of sequence lengths, for the stage's summary line.
public struct LengthSummary: Equatable, Sendable, CustomStringConvertible {
    public let min: Int, median: Int, p95: Int, max: Int

    public init(_ lengths: [Int]) {
        let s = lengths.sorted()
        func at(_ q: Double) -> Int { s.isEmpty ? 0 : s[Swift.min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))] }
        min = s.first ?? 0
        median = at(0.5)
        p95 = at(0.95)
        max = s.last ?? 0
    }

    public var description: String { "min \(min) / median \(median) / p95 \(p95) / max \(max)" }
}
