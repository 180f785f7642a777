// The encoder stack over a right-padded batch; padded keys are masked, padded queries are computed
// (as in transformers, so the whole output tensor matches).
import Kernels

public struct EncoderOutput: @unchecked Sendable {
    /// Final hidden states [batch, length, d_model] (after the final layer norm).
    public let hidden: FloatBuffer
    public let batch: Int
    /// Padded length.
    public let length: Int
    /// Valid tokens per row.
    public let lengths: [Int]
}

extension T5Model {
    /// Attention scores and biases grow with the square of the source length; longer inputs are refused.
    public static let maxSourceLength = 2048

    /// Encodes unpadded source sequences (each non-empty).
    public func encode(_ sources: [[Int32]]) throws -> EncoderOutput {
        try checkTokens(sources, what: "encoder input")
        guard !sources.isEmpty, sources.allSatisfy({ !$0.isEmpty }) else {
            throw T5Error(file: "encoder input", "empty batch or empty source sequence")
        }
        let batch = sources.count, length = sources.map(\.count).max()!
        guard length <= Self.maxSourceLength else {
            throw T5Error(file: "encoder input", "source of \(length) tokens exceeds the limit of \(Self.maxSourceLength)")
        }
        let d = config.dModel, inner = config.innerDim, heads = config.numHeads, rows = batch * length
        let h = FloatBuffer(count: rows * d, zeroed: false)
        for (b, ids) in sources.enumerated() {
            embed(ids + [Int32](repeating: config.padTokenId, count: length - ids.count), into: h.pointer + b * length * d)
        }
        let bias = FloatBuffer(count: heads * length * length, zeroed: false)
        RelativePosition.bias(table: weights.encoder[0].attention.relativeBias!, heads: heads, queries: length, keys: length,
                              bidirectional: true, numBuckets: config.relativeAttentionNumBuckets,
                              maxDistance: config.relativeAttentionMaxDistance, into: bias.pointer)
        let lengths = sources.map(\.count)
        let normed = FloatBuffer(count: rows * d, zeroed: false)
        let q = FloatBuffer(count: rows * inner, zeroed: false), k = FloatBuffer(count: rows * inner, zeroed: false)
        let v = FloatBuffer(count: rows * inner, zeroed: false), context = FloatBuffer(count: rows * inner, zeroed: false)
        let probs = FloatBuffer(count: Parallel.threads * length * length, zeroed: false)  // one [length, length] per worker
        let feedForwardScratch = FeedForwardScratch(rows: rows, config: config)
        for layer in weights.encoder {
            RMSNorm.forward(h.pointer, weight: layer.attentionNorm, normed.pointer, rows: rows, dim: d, eps: config.layerNormEpsilon)
            layer.attention.q.apply(normed.pointer, m: rows, into: q.pointer)
            layer.attention.k.apply(normed.pointer, m: rows, into: k.pointer)
            layer.attention.v.apply(normed.pointer, m: rows, into: v.pointer)
            Parallel.forEachTask(batch * heads) { task, worker in
                let b = task / heads, head = task % heads, valid = lengths[b]
                let offset = b * length * inner + head * config.dKV
                Attention.forward(q: q.pointer + offset, ldq: inner, k: k.pointer + offset, ldk: inner,
                                  v: v.pointer + offset, ldv: inner, out: context.pointer + offset, ldo: inner,
                                  bias: bias.pointer + head * length * length, probs: probs.pointer + worker * length * length,
                                  queries: length, keys: length, headDim: config.dKV, validKeys: { _ in valid })
            }
            layer.attention.o.apply(context.pointer, m: rows, into: h.pointer, accumulate: true)
            FeedForwardBlock.forward(h.pointer, rows: rows, norm: layer.feedForwardNorm, weights: layer.feedForward,
                                     config: config, scratch: feedForwardScratch)
        }
        let output = FloatBuffer(count: rows * d, zeroed: false)
        RMSNorm.forward(h.pointer, weight: weights.encoderFinalNorm, output.pointer, rows: rows, dim: d, eps: config.layerNormEpsilon)
        return EncoderOutput(hidden: output, batch: batch, length: length, lengths: lengths)
    }
}
