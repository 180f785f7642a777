// A seq2seq batch without padding: every sequence's source tokens concatenated, its labels concatenated
// (−100 marks labels the loss ignores), and decoder inputs = each sequence's labels shifted right after
// decoder_start (−100 → pad). Nothing is computed for padding: per-token work runs on the concatenated
// rows and attention runs per sequence at its own lengths (docs/ARCHITECTURE.md, "Unpadded batches").
import Failures

public struct UnpaddedBatch: Sendable, Equatable {
    /// Source tokens of every sequence, concatenated [Σ source lengths].
    public let inputIds: [Int32]
    /// Sequence b's source tokens are `inputIds[sourceOffsets[b] ..< sourceOffsets[b + 1]]` (batchSize + 1 entries).
    public let sourceOffsets: [Int]
    /// Labels of every sequence, concatenated [Σ target lengths]; −100 is ignored by the loss.
    public let labels: [Int32]
    /// The decoder's inputs, laid out like `labels`.
    public let decoderInputIds: [Int32]
    /// Sequence b's labels are `labels[targetOffsets[b] ..< targetOffsets[b + 1]]`.
    public let targetOffsets: [Int]

    public static let ignoreIndex: Int32 = -100

    /// From ragged sequences (each non-empty, ids in 0..<vocabSize).
    public init(sources: [[Int32]], targets: [[Int32]], vocabSize: Int, padTokenId: Int32 = 0,
                decoderStartTokenId: Int32 = 0, label: String = "batch") throws {
        guard !sources.isEmpty, sources.count == targets.count else {
            throw PipelineError.badInput("needs as many targets as sources (\(sources.count) vs \(targets.count)), at least one", path: label)
        }
        if let b = sources.indices.first(where: { sources[$0].isEmpty || targets[$0].isEmpty }) {
            throw PipelineError.badInput("row \(b) has an empty source or target", path: label)
        }
        try self.init(sources: sources, labels: targets, vocabSize: vocabSize, padTokenId: padTokenId,
                      decoderStartTokenId: decoderStartTokenId, label: label)
    }

    /// From right-padded arrays as Hugging Face collates them: `attentionMask` [B·S] must be a prefix of ones
    /// per row; labels [B·T] −100 on padding. Padding is dropped: positions after a row's last label count
    /// for nothing (the decoder is causal), so the loss and gradients are those of the padded batch.
    public init(inputIds: [Int32], attentionMask: [Int32], labels: [Int32], batchSize: Int, vocabSize: Int,
                padTokenId: Int32 = 0, decoderStartTokenId: Int32 = 0, label: String = "batch") throws {
        guard batchSize > 0, inputIds.count % batchSize == 0, labels.count % batchSize == 0,
              attentionMask.count == inputIds.count, !inputIds.isEmpty, !labels.isEmpty else {
            throw PipelineError.badInput("input ids, mask and labels do not form a batch of \(batchSize) rows", path: label)
        }
        let s = inputIds.count / batchSize, t = labels.count / batchSize
        var sources: [[Int32]] = [], targets: [[Int32]] = []
        for b in 0..<batchSize {
            let mask = attentionMask[(b * s)..<((b + 1) * s)]
            let valid = mask.prefix { $0 == 1 }.count
            guard valid > 0, mask.dropFirst(valid).allSatisfy({ $0 == 0 }) else {
                throw PipelineError.badInput("attention mask row \(b) is not right-padded (ones then zeros)", path: label)
            }
            sources.append(Array(inputIds[(b * s)..<(b * s + valid)]))
            let row = labels[(b * t)..<((b + 1) * t)]
            let used = row.lastIndex { $0 != UnpaddedBatch.ignoreIndex }.map { $0 - b * t + 1 } ?? 1
            targets.append(Array(row.prefix(used)))
        }
        try self.init(sources: sources, labels: targets, vocabSize: vocabSize, padTokenId: padTokenId,
                      decoderStartTokenId: decoderStartTokenId, label: label)
    }

    private init(sources: [[Int32]], labels rows: [[Int32]], vocabSize: Int, padTokenId: Int32, decoderStartTokenId: Int32,
                 label: String) throws {
        let vocab = Int32(clamping: vocabSize)
        guard (0..<vocab).contains(padTokenId), (0..<vocab).contains(decoderStartTokenId) else {
            throw PipelineError.badInput("pad or decoder-start id outside the vocabulary of \(vocabSize)", path: label)
        }
        if let bad = sources.joined().first(where: { !(0..<vocab).contains($0) }) {
            throw PipelineError.badInput("source id \(bad) outside the vocabulary of \(vocabSize)", path: label)
        }
        if let bad = rows.joined().first(where: { $0 != UnpaddedBatch.ignoreIndex && !(0..<vocab).contains($0) }) {
            throw PipelineError.badInput("label id \(bad) outside the vocabulary of \(vocabSize) (and not -100)", path: label)
        }
        inputIds = Array(sources.joined())
        sourceOffsets = sources.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        labels = Array(rows.joined())
        targetOffsets = rows.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        var decoderInputs: [Int32] = []
        decoderInputs.reserveCapacity(labels.count)
        for row in rows {
            decoderInputs.append(decoderStartTokenId)
            for previous in row.dropLast() { decoderInputs.append(previous == UnpaddedBatch.ignoreIndex ? padTokenId : previous) }
        }
        decoderInputIds = decoderInputs
    }

    public var batchSize: Int { sourceOffsets.count - 1 }
    public func sourceLength(_ b: Int) -> Int { sourceOffsets[b + 1] - sourceOffsets[b] }
    public func targetLength(_ b: Int) -> Int { targetOffsets[b + 1] - targetOffsets[b] }
    public var sourceLengths: [Int] { (0..<batchSize).map(sourceLength) }
    public var targetLengths: [Int] { (0..<batchSize).map(targetLength) }
    /// Rows of the encoder and of the decoder.
    public var sourceTokens: Int { inputIds.count }
    public var targetTokens: Int { labels.count }

    /// Tokens that count in the loss.
    public var labelledTokens: Int { labels.lazy.filter { $0 != UnpaddedBatch.ignoreIndex }.count }
}
