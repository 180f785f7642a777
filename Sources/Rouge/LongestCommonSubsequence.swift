/// ROUGE-L and ROUGE-Lsum as rouge_score computes them, on token ids.
struct LongestCommonSubsequence {
    /// Largest DP table (cells) built for one sentence pair of ROUGE-Lsum: 128 MiB of Int32.
    static let maximumTableCells = 1 << 25
    /// Largest ROUGE-L problem (target × prediction tokens): bounds time on hostile input.
    static let maximumWorkCells = 1 << 32

    /// Reused DP storage, so scoring many examples does not allocate per pair.
    private var table: [Int32] = []
    private var row: [Int32] = []
    /// Per token id: remaining counts on each side for ROUGE-Lsum; all zero between calls.
    private var targetCounts: [Int32] = []
    private var predictionCounts: [Int32] = []

    struct TooLarge: Error {
        let cells: Int
    }

    /// rouge_score's `_score_lcs`: zeros when either side has no tokens.
    mutating func scoreL(target: [Int32], prediction: [Int32]) throws(TooLarge) -> Score {
        guard !target.isEmpty, !prediction.isEmpty else { return .zero }
        let cells = target.count.multipliedReportingOverflow(by: prediction.count)
        guard !cells.overflow, cells.partialValue <= Self.maximumWorkCells else {
            throw TooLarge(cells: cells.overflow ? Int.max : cells.partialValue)
        }
        let length = lcsLength(target, prediction)
        return Score(precision: Double(length) / Double(prediction.count),
                     recall: Double(length) / Double(target.count))
    }

    /// The LCS length with one rolling row.
    private mutating func lcsLength(_ a: [Int32], _ b: [Int32]) -> Int {
        let cols = b.count
        if row.count < cols + 1 { row = [Int32](repeating: 0, count: cols + 1) }
        row.withUnsafeMutableBufferPointer { r in
            for j in 0...cols { r[j] = 0 }
            for x in a {
                var diagonal: Int32 = 0  // row[i-1][j-1]
                for j in 1...cols {
                    let up = r[j]
                    r[j] = x == b[j - 1] ? diagonal + 1 : max(up, r[j - 1])
                    diagonal = up
                }
            }
        }
        return Int(row[cols])
    }

    /// rouge_score's `_summary_level_lcs`: for each reference sentence, the union of one LCS
    /// with every candidate sentence (as `_backtrack_norec` picks it), then hits counted
    /// without using any token more often than it occurs on either side.
    mutating func scoreLsum(target: [[Int32]], prediction: [[Int32]], vocabularySize: Int) throws(TooLarge) -> Score {
        guard !target.isEmpty, !prediction.isEmpty else { return .zero }
        let m = target.reduce(0) { $0 + $1.count }
        let n = prediction.reduce(0) { $0 + $1.count }
        guard m > 0, n > 0 else { return .zero }

        if targetCounts.count < vocabularySize {
            targetCounts += [Int32](repeating: 0, count: vocabularySize - targetCounts.count)
            predictionCounts += [Int32](repeating: 0, count: vocabularySize - predictionCounts.count)
        }
        for sentence in target { for t in sentence { targetCounts[Int(t)] += 1 } }
        for sentence in prediction { for t in sentence { predictionCounts[Int(t)] += 1 } }
        defer {
            // Leave the scratch counts all zero for the next call.
            for sentence in target { for t in sentence { targetCounts[Int(t)] = 0 } }
            for sentence in prediction { for t in sentence { predictionCounts[Int(t)] = 0 } }
        }

        var hits = 0
        var inUnion: [Bool] = []
        for r in target {
            inUnion = [Bool](repeating: false, count: r.count)
            for c in prediction { try markLCS(r, c, into: &inUnion) }
            for i in 0..<r.count where inUnion[i] {
                let t = Int(r[i])
                if predictionCounts[t] > 0 && targetCounts[t] > 0 {
                    hits += 1
                    predictionCounts[t] -= 1
                    targetCounts[t] -= 1
                }
            }
        }
        return Score(precision: Double(hits) / Double(n), recall: Double(hits) / Double(m))
    }

    /// Marks the indices into `ref` of the LCS that rouge_score's `lcs_ind` reads out:
    /// a full DP table, then backtracking that prefers a match, then moving left only
    /// when that cell is strictly larger than the one above.
    private mutating func markLCS(_ ref: [Int32], _ can: [Int32], into marks: inout [Bool]) throws(TooLarge) {
        let rows = ref.count, cols = can.count
        guard rows > 0, cols > 0 else { return }
        let width = cols + 1
        let (cells, overflow) = (rows + 1).multipliedReportingOverflow(by: width)
        guard !overflow, cells <= Self.maximumTableCells else { throw TooLarge(cells: overflow ? Int.max : cells) }
        if table.count < cells { table = [Int32](repeating: 0, count: cells) }
        table.withUnsafeMutableBufferPointer { t in
            for j in 0..<width { t[j] = 0 }
            for i in 1...rows {
                let base = i * width
                let above = base - width
                t[base] = 0
                let x = ref[i - 1]
                for j in 1...cols {
                    t[base + j] = x == can[j - 1] ? t[above + j - 1] + 1 : max(t[above + j], t[base + j - 1])
                }
            }
            var i = rows, j = cols
            while i > 0 && j > 0 {
                if ref[i - 1] == can[j - 1] {
                    marks[i - 1] = true
                    i -= 1
                    j -= 1
                } else if t[i * width + j - 1] > t[(i - 1) * width + j] {
                    j -= 1
                } else {
                    i -= 1
                }
            }
        }
    }
}
