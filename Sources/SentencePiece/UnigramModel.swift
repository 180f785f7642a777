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

    private static let unknownPenalty: Float = 10

    /// Pieces the segmenter may use, each with its score: user-defined symbols get
    /// `length * maxScore - 0.1` (their length is fixed, so it is precomputed).
    let trie: PieceTrie
    let minScore: Float
    let maxScore: Float
    let unkId: Int32

    init(pieces: [ModelProto.Piece], unkId: Int32) throws {
        // FLT_MAX / FLT_MIN as in the reference: with all scores negative, maxScore stays tiny and positive.
        var minScore = Float.greatestFiniteMagnitude
        var maxScore = Float.leastNormalMagnitude
        for piece in pieces where piece.type == .normal {
            minScore = min(minScore, piece.score)
            maxScore = max(maxScore, piece.score)
        }
        var entries: [(bytes: [UInt8], id: Int32, score: Float, skipped: Bool)] = []
        entries.reserveCapacity(pieces.count)
        for (i, piece) in pieces.enumerated() {
            switch piece.type {
            case .normal:
                entries.append((piece.bytes, Int32(i), piece.score, false))
            case .userDefined:
                let score = Float(Double(Float(piece.bytes.count) * maxScore) - 0.1)
                entries.append((piece.bytes, Int32(i), score, false))
            case .unused:
                entries.append((piece.bytes, Int32(i), piece.score, true))
            case .unknown, .control, .byte:
                break
            }
        }
        trie = try PieceTrie(entries)
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
        lattice.score.withUnsafeMutableBufferPointer { best in
        lattice.startsAt.withUnsafeMutableBufferPointer { startsAt in
        lattice.id.withUnsafeMutableBufferPointer { ids in
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
                    let edge = trie.edge(node, s[keyPos])
                    if edge.child < 0 { break }
                    node = edge.child
                    keyPos += 1
                    let id = edge.id
                    if id < 0 { continue }
                    let length = keyPos - start
                    // Path scores are float sums: the library's results on tied paths
                    // (e.g. "abab…") match float, not double, accumulation.
                    let candidate = edge.score + tillHere
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
        }}}
        segments.reverse()
    }
}
