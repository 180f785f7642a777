// A right-padded seq2seq batch: source ids with their valid lengths (the attention mask is a prefix of ones),
// labels with −100 on padding, and decoder inputs = labels shifted right after decoder_start, −100 → pad.

public struct TrainingBatch: Sendable, Equatable {
    public let batchSize: Int
    public let sourceLength: Int
    public let targetLength: Int
    /// [batchSize · sourceLength], padding filled with `padTokenId`.
    public let inputIds: [Int32]
    /// Number of valid (attention-mask 1) source tokens per row.
    public let sourceLengths: [Int]
    /// [batchSize · targetLength], −100 on padding.
    public let labels: [Int32]
    /// [batchSize · targetLength].
    public let decoderInputIds: [Int32]

    public static let ignoreIndex: Int32 = -100

    /// Pads ragged sequences on the right. Every id must be in 0..<vocabSize; empty sources or targets are errors.
    public init(sources: [[Int32]], targets: [[Int32]], vocabSize: Int, padTokenId: Int32 = 0,
                decoderStartTokenId: Int32 = 0, label: String = "batch") throws {
        guard !sources.isEmpty, sources.count == targets.count else {
            throw TrainingError(file: label, "needs as many targets as sources (\(sources.count) vs \(targets.count)), at least one")
        }
        let s = sources.map(\.count).max()!, t = targets.map(\.count).max()!
        var ids = [Int32](repeating: padTokenId, count: sources.count * s)
        var labels = [Int32](repeating: TrainingBatch.ignoreIndex, count: targets.count * t)
        for (b, (source, target)) in zip(sources, targets).enumerated() {
            guard !source.isEmpty, !target.isEmpty else { throw TrainingError(file: label, "row \(b) has an empty source or target") }
            for (i, id) in source.enumerated() { ids[b * s + i] = id }
            for (i, id) in target.enumerated() { labels[b * t + i] = id }
        }
        try self.init(batchSize: sources.count, sourceLength: s, targetLength: t, inputIds: ids,
                      sourceLengths: sources.map(\.count), labels: labels, vocabSize: vocabSize, padTokenId: padTokenId,
                      decoderStartTokenId: decoderStartTokenId, label: label)
    }

    /// From padded arrays; `attentionMask` [B·S] must be a prefix of ones per row (right padding).
    public init(inputIds: [Int32], attentionMask: [Int32], labels: [Int32], batchSize: Int, vocabSize: Int,
                padTokenId: Int32 = 0, decoderStartTokenId: Int32 = 0, label: String = "batch") throws {
        guard batchSize > 0, inputIds.count % batchSize == 0, labels.count % batchSize == 0,
              attentionMask.count == inputIds.count, !inputIds.isEmpty, !labels.isEmpty else {
            throw TrainingError(file: label, "input ids, mask and labels do not form a batch of \(batchSize) rows")
        }
        let s = inputIds.count / batchSize
        var lengths: [Int] = []
        for b in 0..<batchSize {
            let row = attentionMask[(b * s)..<((b + 1) * s)]
            let valid = row.prefix { $0 == 1 }.count
            guard row.dropFirst(valid).allSatisfy({ $0 == 0 }) else {
                throw TrainingError(file: label, "attention mask row \(b) is not right-padded (ones then zeros)")
            }
            lengths.append(valid)
        }
        try self.init(batchSize: batchSize, sourceLength: s, targetLength: labels.count / batchSize, inputIds: inputIds,
                      sourceLengths: lengths, labels: labels, vocabSize: vocabSize, padTokenId: padTokenId,
                      decoderStartTokenId: decoderStartTokenId, label: label)
    }

    private init(batchSize: Int, sourceLength: Int, targetLength: Int, inputIds: [Int32], sourceLengths: [Int],
                 labels: [Int32], vocabSize: Int, padTokenId: Int32, decoderStartTokenId: Int32, label: String) throws {
        let vocab = Int32(clamping: vocabSize)
        guard (0..<vocab).contains(padTokenId), (0..<vocab).contains(decoderStartTokenId) else {
            throw TrainingError(file: label, "pad or decoder-start id outside the vocabulary of \(vocabSize)")
        }
        if let bad = inputIds.first(where: { !(0..<vocab).contains($0) }) {
            throw TrainingError(file: label, "source id \(bad) outside the vocabulary of \(vocabSize)")
        }
        if let bad = labels.first(where: { $0 != TrainingBatch.ignoreIndex && !(0..<vocab).contains($0) }) {
            throw TrainingError(file: label, "label id \(bad) outside the vocabulary of \(vocabSize) (and not -100)")
        }
        self.batchSize = batchSize
        self.sourceLength = sourceLength
        self.targetLength = targetLength
        self.inputIds = inputIds
        self.sourceLengths = sourceLengths
        self.labels = labels
        var decoderInputs = [Int32](repeating: padTokenId, count: labels.count)
        for b in 0..<batchSize {
            decoderInputs[b * targetLength] = decoderStartTokenId
            for i in 1..<max(targetLength, 1) {
                let previous = labels[b * targetLength + i - 1]
                decoderInputs[b * targetLength + i] = previous == TrainingBatch.ignoreIndex ? padTokenId : previous
            }
        }
        decoderInputIds = decoderInputs
    }

    /// Tokens that count in the loss.
    public var labelledTokens: Int { labels.lazy.filter { $0 != TrainingBatch.ignoreIndex }.count }
}
