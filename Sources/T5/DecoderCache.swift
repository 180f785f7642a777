// Decoder state for incremental decoding: per-layer self-attention keys/values for each slot
// (a sequence or beam), cross-attention keys/values computed once per source, and scratch
// buffers sized for the largest step so a step allocates nothing. Keys and values are stored head-major,
// [row, head, position, dKV], so one head's keys are contiguous: read with a stride of d_model instead,
// a decoding step's attention was bound by cache and TLB misses (a quarter of a batch-8 generation).
// The cross-attention keys, fixed for the whole generation, go one step further: transposed per head,
// [row, head, dKV, position], so one query's scores need no horizontal sums (see Attention).
import Kernels

public final class DecoderCache: @unchecked Sendable {
    /// Slots in use (shrinks when finished sequences are dropped).
    public private(set) var slots: Int
    public let capacity: Int
    /// Positions already in the cache (same for every slot).
    public internal(set) var length = 0
    /// The source row each slot attends to.
    public internal(set) var sourceOf: [Int]
    let encoder: EncoderOutput
    let selfKeys, selfValues: [FloatBuffer]       // per layer [slots, heads, capacity, dKV]
    let crossKeys: [FloatBuffer]                  // per layer, per source b: [heads, dKV, length_b] (transposed)
    let crossValues: [FloatBuffer]                // per layer, per source b: [heads, length_b, dKV]
    let hidden, normed, q, k, v, context: FloatBuffer
    let bias: FloatBuffer
    let feedForward: FeedForwardScratch
    let stepRows: Int
    /// The cache's head dimensions: [row, heads, position, dKV].
    let heads, dKV: Int

    /// `sourceOf[slot]` maps each slot to an encoder row; `maxNewPositions` bounds one `decode` call's width.
    init(model: T5Model, encoder: EncoderOutput, sourceOf: [Int], capacity: Int, maxNewPositions: Int) {
        let config = model.config, inner = config.innerDim, d = config.dModel
        slots = sourceOf.count
        self.capacity = capacity
        self.sourceOf = sourceOf
        self.encoder = encoder
        selfKeys = (0..<config.numDecoderLayers).map { _ in FloatBuffer(count: sourceOf.count * capacity * inner, zeroed: false) }
        selfValues = (0..<config.numDecoderLayers).map { _ in FloatBuffer(count: sourceOf.count * capacity * inner, zeroed: false) }
        let sourceRows = encoder.rows
        var keys: [FloatBuffer] = [], values: [FloatBuffer] = []
        let projected = FloatBuffer(count: sourceRows * inner, zeroed: false)
        for layer in model.weights.decoder {
            let kb = FloatBuffer(count: sourceRows * inner, zeroed: false), vb = FloatBuffer(count: sourceRows * inner, zeroed: false)
            let (heads, dKV) = (config.numHeads, config.dKV)
            layer.crossAttention.k.apply(encoder.hidden.pointer, m: sourceRows, into: projected.pointer)
            for b in 0..<encoder.batch {
                let start = encoder.offsets[b] * inner, length = encoder.lengths[b]
                Self.transposeHeads(from: projected.pointer + start, rows: length, heads: heads, dKV: dKV, into: kb.pointer + start)
            }
            layer.crossAttention.v.apply(encoder.hidden.pointer, m: sourceRows, into: projected.pointer)
            for b in 0..<encoder.batch {
                let start = encoder.offsets[b] * inner, length = encoder.lengths[b]
                Self.scatterHeads(from: projected.pointer + start, rows: length, heads: heads, dKV: dKV,
                                  into: vb.pointer + start, capacity: length, at: 0)
            }
            keys.append(kb)
            values.append(vb)
        }
        crossKeys = keys
        crossValues = values
        heads = config.numHeads
        dKV = config.dKV
        stepRows = sourceOf.count * maxNewPositions
        hidden = FloatBuffer(count: stepRows * d, zeroed: false)
        normed = FloatBuffer(count: stepRows * d, zeroed: false)
        q = FloatBuffer(count: stepRows * inner, zeroed: false)
        k = FloatBuffer(count: stepRows * inner, zeroed: false)
        v = FloatBuffer(count: stepRows * inner, zeroed: false)
        context = FloatBuffer(count: stepRows * inner, zeroed: false)
        bias = FloatBuffer(count: config.numHeads * maxNewPositions * capacity, zeroed: false)
        feedForward = FeedForwardScratch(rows: stepRows, config: config)
    }

    /// Writes each layer's prefix keys and values [rows, inner] into every slot at positions 0..<rows.
    func prefill(_ prefix: [(keys: FloatBuffer, values: FloatBuffer)], rows: Int) {
        precondition(length == 0 && prefix.count == selfKeys.count && rows <= capacity)
        let stride = capacity * heads * dKV
        for (layer, p) in prefix.enumerated() {
            for slot in 0..<slots {
                Self.scatterHeads(from: p.keys.pointer, rows: rows, heads: heads, dKV: dKV,
                                  into: selfKeys[layer].pointer + slot * stride, capacity: capacity, at: 0)
                Self.scatterHeads(from: p.values.pointer, rows: rows, heads: heads, dKV: dKV,
                                  into: selfValues[layer].pointer + slot * stride, capacity: capacity, at: 0)
            }
        }
        length = rows
    }

    /// Copies `rows` rows of [rows, heads·dKV] into a head-major block [heads, capacity, dKV] at position `at`.
    static func scatterHeads(from source: UnsafePointer<Float>, rows: Int, heads: Int, dKV: Int,
                             into target: UnsafeMutablePointer<Float>, capacity: Int, at position: Int) {
        for head in 0..<heads {
            let headBlock = target + head * capacity * dKV + position * dKV
            for row in 0..<rows {
                (headBlock + row * dKV).update(from: source + row * heads * dKV + head * dKV, count: dKV)
            }
        }
    }

    /// Copies [rows, heads·dKV] into per-head transposed blocks [heads, dKV, rows] (the cross-attention
    /// keys: a decoding step then scores all source positions at once, reading each block sequentially).
    static func transposeHeads(from source: UnsafePointer<Float>, rows: Int, heads: Int, dKV: Int,
                               into target: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(heads, costPerItem: rows * dKV) { range in
            for head in range {
                let headBlock = target + head * dKV * rows
                for row in 0..<rows {
                    let from = source + row * heads * dKV + head * dKV
                    for c in 0..<dKV { headBlock[c * rows + row] = from[c] }
                }
            }
        }
    }

    /// Beam reordering and dropping finished rows: slot i takes the history of slot `from[i]`, and
    /// only `from.count` slots remain (self-attention cache only; cross-attention follows `sourceOf`).
    public func reorder(from: [Int]) {
        precondition(from.count <= slots && from.allSatisfy { $0 >= 0 && $0 < slots })
        if from.count == slots && from.enumerated().allSatisfy({ $0.offset == $0.element }) { return }
        // Only the first `length` positions of each (slot, head) block hold keys: copy those.
        let validFloats = length * dKV
        func block(_ base: UnsafeMutablePointer<Float>, slot: Int, head: Int) -> UnsafeMutablePointer<Float> {
            base + (slot * heads + head) * capacity * dKV
        }
        let temporary = FloatBuffer(count: max(1, from.count * heads * validFloats), zeroed: false)
        for buffer in selfKeys + selfValues {
            for (slot, source) in from.enumerated() {
                for head in 0..<heads {
                    (temporary.pointer + (slot * heads + head) * validFloats)
                        .update(from: block(buffer.pointer, slot: source, head: head), count: validFloats)
                }
            }
            for slot in 0..<from.count {
                for head in 0..<heads {
                    block(buffer.pointer, slot: slot, head: head)
                        .update(from: temporary.pointer + (slot * heads + head) * validFloats, count: validFloats)
                }
            }
        }
        sourceOf = from.map { sourceOf[$0] }
        slots = from.count
    }
}
