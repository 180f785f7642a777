/// Unigram segmentation exactly as SentencePiece's `Model::EncodeOptimized`
/// (unigram_model.cc): a Viterbi pass over UTF-8 byte positions that keeps, for each
/// end position, the best path ending there. Ties keep the first candidate found,
/// scores are summed in float, user-defined symbols score
/// `length * maxScore - 0.1`, and a character no piece covers becomes `<unk>`
/// scored `minScore - 10`.
struct UnigramModel: Sendable {
    /// One piece of the best path: bytes `start..<end` of the normalised text.
    struct Segment {
        var start: Int32
        var end: Int32
        var id: Int32
    }

    /// Per-position Viterbi state, reused across calls by one thread.
    struct Lattice {
        var score: [Float] = []
        var startsAt: [Int32] = []
        var id: [Int32] = []
    }

    private static let unusedFlag: UInt8 = 1
    private static let userDefinedFlag: UInt8 = 2
    private static let unknownPenalty: Float = 10

    let trie: PieceTrie
    private let scores: [Float]
    private let flags: [UInt8]
    let minScore: Float
    let maxScore: Float
    let unkId: Int32

    init(pieces: [ModelProto.Piece], unkId: Int32) {
        var entries: [(bytes: [UInt8], id: Int32)] = []
        var scores = [Float](repeating: 0, count: pieces.count)
        var flags = [UInt8](repeating: 0, count: pieces.count)
        // FLT_MAX / FLT_MIN as in the reference: with all scores negative, maxScore stays tiny and positive.
        var minScore = Float.greatestFiniteMagnitude
        var maxScore = Float.leastNormalMagnitude
        for (i, piece) in pieces.enumerated() {
            scores[i] = piece.score
            switch piece.type {
            case .normal:
                entries.append((piece.bytes, Int32(i)))
                minScore = min(minScore, piece.score)
                maxScore = max(maxScore, piece.score)
            case .userDefined:
                entries.append((piece.bytes, Int32(i)))
                flags[i] = Self.userDefinedFlag
            case .unused:
                entries.append((piece.bytes, Int32(i)))
                flags[i] = Self.unusedFlag
            case .unknown, .control, .byte:
                break
            }
        }
        trie = PieceTrie(entries)
        self.scores = scores
        self.flags = flags
        self.minScore = minScore
        self.maxScore = maxScore
        self.unkId = unkId
    }

    /// Appends the best segmentation of `s` to `segments` (left to right).
    func segment(_ s: UnsafeBufferPointer<UInt8>, lattice: inout Lattice, into segments: inout [Segment]) {
        segments.removeAll(keepingCapacity: true)
        let size = s.count
        if size == 0 { return }
        if lattice.score.count < size + 1 {
            let capacity = max(size + 1, lattice.score.count * 2)
            lattice.score = [Float](repeating: 0, count: capacity)
            lattice.startsAt = [Int32](repeating: -1, count: capacity)
            lattice.id = [Int32](repeating: -1, count: capacity)
        }
        let unkScore = minScore - Self.unknownPenalty
        let maxScore = self.maxScore
        lattice.score.withUnsafeMutableBufferPointer { best in
        lattice.startsAt.withUnsafeMutableBufferPointer { startsAt in
        lattice.id.withUnsafeMutableBufferPointer { ids in
        scores.withUnsafeBufferPointer { scores in
        flags.withUnsafeBufferPointer { flags in
        trie.values.withUnsafeBufferPointer { values in
            for i in 0...size {
                best[i] = 0
                startsAt[i] = -1
            }
            var start = 0
            while start < size {
                let tillHere = best[start]
                let charLength = min(UTF8Rules.oneCharLength(s[start]), size - start)
                var hasSingleNode = false
                var node = PieceTrie.root
                var keyPos = start
                while keyPos < size {
                    node = trie.child(node, s[keyPos])
                    if node < 0 { break }
                    keyPos += 1
                    let id = values[Int(node)]
                    if id < 0 { continue }
                    let flag = flags[Int(id)]
                    if flag & Self.unusedFlag != 0 { continue }
                    let length = keyPos - start
                    // Path scores are float sums: the library's results on tied paths
                    // (e.g. "abab…") match float, not double, accumulation.
                    let score = flag & Self.userDefinedFlag != 0
                        ? Float(Double(Float(length) * maxScore) - 0.1)
                        : scores[Int(id)]
                    let candidate = score + tillHere
                    if startsAt[keyPos] == -1 || candidate > best[keyPos] {
                        best[keyPos] = candidate
                        startsAt[keyPos] = Int32(start)
                        ids[keyPos] = id
                    }
                    if length == charLength { hasSingleNode = true }
                }
                if !hasSingleNode {
                    let target = start + charLength
                    let candidate = unkScore + tillHere
                    if startsAt[target] == -1 || candidate > best[target] {
                        best[target] = candidate
                        startsAt[target] = Int32(start)
                        ids[target] = unkId
                    }
                }
                start += charLength
            }
            var end = size
            while end > 0 {
                let from = Int(startsAt[end])
                // Every character boundary is reachable through <unk>, so this holds.
                guard from >= 0 && from < end else { break }
                segments.append(Segment(start: Int32(from), end: Int32(end), id: ids[end]))
                end = from
            }
        }}}}}}
        segments.reverse()
    }
}
