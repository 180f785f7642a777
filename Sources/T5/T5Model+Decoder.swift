// The decoder stack: causal self-attention over the cache, cross-attention over the encoder output,
// feed-forward; then the final norm and the LM head.
import Failures
import Foundation
import Kernels

extension T5Model {
    /// Starts decoding: one slot per entry of `sourceOf` (for beams, repeat each source index), room for `capacity`
    /// new positions. With a prefix (prefix tuning) every slot's self-attention cache starts with its n positions, as
    /// PEFT hands them to transformers as `past_key_values`: the tokens then sit at positions n, n + 1, ….
    public func makeDecoderCache(encoder: EncoderOutput, sourceOf: [Int], capacity: Int, maxNewPositions: Int = 1) -> DecoderCache {
        let cache = DecoderCache(model: self, encoder: encoder, sourceOf: sourceOf, capacity: capacity + decoderPrefixRows,
                                 maxNewPositions: maxNewPositions)
        if decoderPrefixRows > 0 { cache.prefill(decoderPrefix, rows: decoderPrefixRows) }
        return cache
    }

    /// Feeds `positions` new tokens per slot (`tokens` is [slots, positions]) and writes logits
    /// [slots·positions, vocab] into `logits`. Appends to the cache.
    public func decode(cache: DecoderCache, tokens: [Int32], positions: Int, logits: UnsafeMutablePointer<Float>) {
        let config = self.config
        let d = config.dModel, inner = config.innerDim, heads = config.numHeads, dKV = config.dKV
        let slots = cache.slots, rows = slots * positions, offset = cache.length
        precondition(tokens.count == rows && rows <= cache.stepRows && offset + positions <= cache.capacity)
        let keys = offset + positions
        let h = cache.hidden.pointer, normed = cache.normed.pointer
        let q = cache.q.pointer, k = cache.k.pointer, v = cache.v.pointer, context = cache.context.pointer
        embed(tokens, into: h)
        RelativePosition.bias(table: weights.decoder[0].selfAttention.relativeBias!, heads: heads, queries: positions, keys: keys,
                              queryOffset: offset, bidirectional: false, numBuckets: config.relativeAttentionNumBuckets,
                              maxDistance: config.relativeAttentionMaxDistance, into: cache.bias.pointer)
        let bias = cache.bias.pointer
        let stride = cache.capacity * inner
        let sourceOffsets = cache.encoder.offsets, sourceLengths = cache.encoder.lengths, sourceOf = cache.sourceOf

        for (index, layer) in weights.decoder.enumerated() {
            // causal self-attention
            RMSNorm.forward(h, weight: layer.selfAttentionNorm, normed, rows: rows, dim: d, eps: config.layerNormEpsilon)
            layer.selfAttention.q.apply(normed, m: rows, into: q)
            layer.selfAttention.k.apply(normed, m: rows, into: k)
            layer.selfAttention.v.apply(normed, m: rows, into: v)
            let cachedK = cache.selfKeys[index].pointer, cachedV = cache.selfValues[index].pointer
            for slot in 0..<slots {
                DecoderCache.scatterHeads(from: k + slot * positions * inner, rows: positions, heads: heads, dKV: dKV,
                                          into: cachedK + slot * stride, capacity: cache.capacity, at: offset)
                DecoderCache.scatterHeads(from: v + slot * positions * inner, rows: positions, heads: heads, dKV: dKV,
                                          into: cachedV + slot * stride, capacity: cache.capacity, at: offset)
            }
            attend(slots: slots, heads: heads, positions: positions, dKV: dKV, inner: inner, q: q, context: context,
                   keys: { slot in (cachedK + slot * stride, cachedV + slot * stride, keys, cache.capacity) },
                   bias: bias, biasKeys: keys, causalOffset: offset)
            layer.selfAttention.o.apply(context, m: rows, into: h, accumulate: true)

            // cross-attention (keys/values computed once per source, in the cache)
            RMSNorm.forward(h, weight: layer.crossAttentionNorm, normed, rows: rows, dim: d, eps: config.layerNormEpsilon)
            layer.crossAttention.q.apply(normed, m: rows, into: q)
            let crossK = cache.crossKeys[index].pointer, crossV = cache.crossValues[index].pointer
            attend(slots: slots, heads: heads, positions: positions, dKV: dKV, inner: inner, q: q, context: context,
                   keys: { slot in
                       // each source's blocks hold exactly its own positions (no padding)
                       let source = sourceOf[slot], start = sourceOffsets[source] * inner
                       return (crossK + start, crossV + start, sourceLengths[source], sourceLengths[source])
                   }, keysTransposed: true, bias: nil, biasKeys: 0, causalOffset: nil)
            layer.crossAttention.o.apply(context, m: rows, into: h, accumulate: true)

            FeedForwardBlock.forward(h, rows: rows, norm: layer.feedForwardNorm, weights: layer.feedForward,
                                     config: config, scratch: cache.feedForward)
        }
        cache.length += positions
        RMSNorm.forward(h, weight: weights.decoderFinalNorm, normed, rows: rows, dim: d, eps: config.layerNormEpsilon)
        // Tied embeddings: transformers rescales the decoder output by d_model^-0.5 before the head.
        let scale: Float = config.tieWordEmbeddings ? Float(1 / Double(d).squareRoot()) : 1
        if config.tieWordEmbeddings { Elementwise.scale(normed, by: scale, count: rows * d) }
        weights.lmHead.apply(normed, m: rows, into: logits)
    }

    /// Attention of every (slot, head) pair; `keys(slot)` gives that slot's head-major K and V blocks
    /// [heads, capacity, dKV] (K [heads, dKV, capacity] if `keysTransposed`), its key count and the
    /// capacity (positions per head block).
    private func attend(slots: Int, heads: Int, positions: Int, dKV: Int, inner: Int,
                        q: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                        keys: (Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int),
                        keysTransposed: Bool = false,
                        bias: UnsafeMutablePointer<Float>?, biasKeys: Int, causalOffset: Int?) {
        let maxKeys = (0..<slots).map { keys($0).2 }.max() ?? 0
        if positions == 1 {
            Parallel.forRanges(slots * heads, costPerItem: 4 * maxKeys * dKV) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: max(maxKeys, 1)) { scores in
                    for pair in range {
                        let slot = pair / heads, head = pair % heads
                        let (k, v, count, capacity) = keys(slot)
                        let (query, out) = (q + slot * inner + head * dKV, context + slot * inner + head * dKV)
                        let (headK, headV) = (k + head * capacity * dKV, v + head * capacity * dKV)
                        let headBias = bias.map { UnsafePointer($0 + head * biasKeys) }
                        Attention.forwardSingleQuery(q: query, k: headK, ldk: keysTransposed ? capacity : dKV,
                                                     keysTransposed: keysTransposed, v: headV, ldv: dKV, out: out,
                                                     bias: headBias, scores: scores.baseAddress!, keys: count, headDim: dKV)
                    }
                }
            }
            return
        }
        let probsPerPair = positions * max(maxKeys, 1)
        let probs = FloatBuffer(count: Parallel.threads * probsPerPair, zeroed: false)
        Parallel.forEachTask(slots * heads) { pair, worker in
            let slot = pair / heads, head = pair % heads
            let (k, v, count, capacity) = keys(slot)
            let rowOffset = slot * positions * inner + head * dKV
            Attention.forward(q: q + rowOffset, ldq: inner, k: k + head * capacity * dKV, ldk: keysTransposed ? capacity : dKV,
                              v: v + head * capacity * dKV, ldv: dKV, out: context + rowOffset, ldo: inner,
                              bias: bias.map { BiasRows(matrix: $0 + head * positions * biasKeys, keys: biasKeys) },
                              probs: probs.pointer + worker * probsPerPair, queries: positions, keys: count, headDim: dKV,
                              keysTransposed: keysTransposed, validKeys: { query in causalOffset.map { $0 + query + 1 } ?? count })
        }
    }

    /// Teacher-forced logits [batch, targetLength, vocab] for right-padded decoder inputs
    /// (each row already starts with decoder_start_token_id), as `model(..., decoder_input_ids=...)`.
    public func logits(encoder: EncoderOutput, decoderInput: [[Int32]]) throws -> FloatBuffer {
        try checkTokens(decoderInput, what: "decoder input")
        guard decoderInput.count == encoder.batch, let width = decoderInput.map(\.count).max(), width > 0 else {
            throw PipelineError.badInput("needs one non-empty row per source", path: "decoder input")
        }
        let padded = decoderInput.flatMap { $0 + [Int32](repeating: config.padTokenId, count: width - $0.count) }
        let cache = makeDecoderCache(encoder: encoder, sourceOf: Array(0..<encoder.batch), capacity: width, maxNewPositions: width)
        let out = FloatBuffer(count: encoder.batch * width * config.vocabSize, zeroed: false)
        decode(cache: cache, tokens: padded, positions: width, logits: out.pointer)
        return out
    }
}
