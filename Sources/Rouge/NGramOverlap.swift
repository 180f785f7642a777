/// ROUGE-N as rouge_score's `_score_ngrams`: clipped n-gram matches over the counts of
/// the prediction (precision) and of the target (recall), each divided by at least 1.
enum NGramOverlap {
    static func score(target: [Int32], prediction: [Int32], n: Int) -> Score {
        let targetCount = max(target.count - n + 1, 0)
        let predictionCount = max(prediction.count - n + 1, 0)
        // Merging the sorted n-grams of both sides counts sum over n-grams of min(target, prediction).
        let t = (0..<targetCount).map { key(target, $0, n) }.sorted()
        let p = (0..<predictionCount).map { key(prediction, $0, n) }.sorted()
        var matches = 0
        var i = 0, j = 0
        while i < t.count && j < p.count {
            if t[i] == p[j] {
                matches += 1
                i += 1
                j += 1
            } else if t[i] < p[j] {
                i += 1
            } else {
                j += 1
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
