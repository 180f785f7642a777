/// ROUGE-N as rouge_score's `_score_ngrams`: clipped n-gram matches over the counts of
/// the prediction (precision) and of the target (recall), each divided by at least 1.
enum NGramOverlap {
    static func score(target: [Int32], prediction: [Int32], n: Int) -> Score {
        let targetCount = max(target.count - n + 1, 0)
        let predictionCount = max(prediction.count - n + 1, 0)
        var remaining: [UInt64: Int32] = [:]
        remaining.reserveCapacity(targetCount)
        for i in 0..<targetCount { remaining[key(target, i, n), default: 0] += 1 }
        // Matching each prediction n-gram against what is left sums min(target, prediction) counts.
        var matches = 0
        for i in 0..<predictionCount {
            let k = key(prediction, i, n)
            if let left = remaining[k], left > 0 {
                remaining[k] = left - 1
                matches += 1
            }
        }
        let precision = Double(matches) / Double(max(predictionCount, 1))
        let recall = Double(matches) / Double(max(targetCount, 1))
        return Score(precision: precision, recall: recall)
    }

    /// A unigram or bigram of 32-bit ids packed into one integer.
    private static func key(_ ids: [Int32], _ start: Int, _ n: Int) -> UInt64 {
        if n == 1 { return UInt64(UInt32(bitPattern: ids[start])) }
        if n == 2 {
            return UInt64(UInt32(bitPattern: ids[start])) << 32 | UInt64(UInt32(bitPattern: ids[start + 1]))
        }
        preconditionFailure("NGramOverlap supports n = 1 and 2, as the project's ROUGE types need")
    }
}
