// The encoder stack over an unpadded batch: every source's tokens concatenated, per-token work on those
// rows only, attention per source at its own length (no padding is computed anywhere).
import Failures
import Kernels

public struct EncoderOutput: @unchecked Sendable {
    /// Final hidden states [Σ lengths, d_model] (after the final layer norm), source after source.
    public let hidden: FloatBuffer
    public let batch: Int
    /// The longest source.
    public let length: Int
    /// Tokens per source.
    public let lengths: [Int]
    /// Source b's rows are offsets[b] ..< offsets[b + 1] (batch + 1 entries).
    public let offsets: [Int]
    public var rows: Int { offsets[batch] }

    /// The rows of a [batch, length, width] tensor padded as Hugging Face pads these sources that hold real
    /// tokens, in this output's layout (to compare with transformers, whose padded rows are discarded).
    public func validRows(ofPadded padded: [Float], width: Int) -> [Float] {
        precondition(padded.count == batch * length * width)
        var rows: [Float] = []
        rows.reserveCapacity(self.rows * width)
        for b in 0..<batch { rows += padded[(b * length * width)..<((b * length + lengths[b]) * width)] }
        return rows
    }
}

extension T5Model {
    /// Attention scores and biases grow with the square of the source length; longer inputs are refused.
    public static let maxSourceLength = 2048

    /// Encodes unpadded source sequences (each non-empty). With a prompt (`encoderPrompt`), each source's rows are the
    /// prompt's n rows then its tokens', and everything after (lengths, offsets, cross-attention) counts them.
    public func encode(_ sources: [[Int32]]) throws -> EncoderOutput {
        try checkTokens(sources, what: "encoder input")
        guard !sources.isEmpty, sources.allSatisfy({ !$0.isEmpty }) else {
            throw PipelineError.badInput("empty batch or empty source sequence", path: "encoder input")
        }
        let prompt = encoderPromptRows
        let batch = sources.count, length = sources.map(\.count).max()! + prompt
        guard length <= Self.maxSourceLength else {
            throw PipelineError.badInput("source of \(length) tokens exceeds the limit of \(Self.maxSourceLength)", path: "encoder input")
        }
        let lengths = sources.map { $0.count + prompt }
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let d = config.dModel, inner = config.innerDim, heads = config.numHeads, rows = offsets[batch]
        let h = FloatBuffer(count: rows * d, zeroed: false)
        if let encoderPrompt {
            for (b, source) in sources.enumerated() {
                (h.pointer + offsets[b] * d).update(from: encoderPrompt.pointer, count: prompt * d)
                embed(source, into: h.pointer + (offsets[b] + prompt) * d)
            }
        } else {
            embed(Array(sources.joined()), into: h.pointer)
        }
        let bias = FloatBuffer(count: heads * (2 * length - 1), zeroed: false)
        RelativePosition.biasByDistance(table: weights.encoder[0].attention.relativeBias!, heads: heads, length: length,
                                        bidirectional: true, numBuckets: config.relativeAttentionNumBuckets,
                                        maxDistance: config.relativeAttentionMaxDistance, into: bias.pointer)
        let normed = FloatBuffer(count: rows * d, zeroed: false)
        let q = FloatBuffer(count: rows * inner, zeroed: false), k = FloatBuffer(count: rows * inner, zeroed: false)
        let v = FloatBuffer(count: rows * inner, zeroed: false), context = FloatBuffer(count: rows * inner, zeroed: false)
        let probs = FloatBuffer(count: Parallel.threads * length * length, zeroed: false)  // one [length, length] per worker
        let feedForwardScratch = FeedForwardScratch(rows: rows, config: config)
        // (source, head) tasks, longest source first, so ragged lengths balance over the workers
        let order = Parallel.costliestFirst(batch * heads) { lengths[$0 / heads] }
        for layer in weights.encoder {
            RMSNorm.forward(h.pointer, weight: layer.attentionNorm, normed.pointer, rows: rows, dim: d, eps: config.layerNormEpsilon)
            layer.attention.q.apply(normed.pointer, m: rows, into: q.pointer)
            layer.attention.k.apply(normed.pointer, m: rows, into: k.pointer)
            layer.attention.v.apply(normed.pointer, m: rows, into: v.pointer)
            Parallel.forEachClaimedTask(order) { task, worker in
                let b = task / heads, head = task % heads, n = lengths[b]
                let offset = offsets[b] * inner + head * config.dKV
                Attention.forward(q: q.pointer + offset, ldq: inner, k: k.pointer + offset, ldk: inner,
                                  v: v.pointer + offset, ldv: inner, out: context.pointer + offset, ldo: inner,
                                  bias: BiasRows(byDistance: bias.pointer, head: head, length: length),
                                  probs: probs.pointer + worker * length * length,
                                  queries: n, keys: n, headDim: config.dKV, validKeys: { _ in n })
            }
            layer.attention.o.apply(context.pointer, m: rows, into: h.pointer, accumulate: true)
            FeedForwardBlock.forward(h.pointer, rows: rows, norm: layer.feedForwardNorm, weights: layer.feedForward,
                                     config: config, scratch: feedForwardScratch)
        }
        let output = FloatBuffer(count: rows * d, zeroed: false)
        RMSNorm.forward(h.pointer, weight: weights.encoderFinalNorm, output.pointer, rows: rows, dim: d, eps: config.layerNormEpsilon)
        return EncoderOutput(hidden: output, batch: batch, length: length, lengths: lengths, offsets: offsets)
    }
}
