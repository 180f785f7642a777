// Decoder state for incremental decoding: per-layer self-attention keys/values for each slot
// (a sequence or beam), cross-attention keys/values computed once per source, and scratch
// buffers sized for the largest step so a step allocates nothing.
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
    let selfKeys, selfValues: [FloatBuffer]       // per layer [slots, capacity, inner]
    let crossKeys, crossValues: [FloatBuffer]     // per layer [batch, sourceLength, inner]
    let hidden, normed, q, k, v, context: FloatBuffer
    let bias: FloatBuffer
    let feedForward: FeedForwardScratch
    let stepRows: Int

    /// `sourceOf[slot]` maps each slot to an encoder row; `maxNewPositions` bounds one `decode` call's width.
    init(model: T5Model, encoder: EncoderOutput, sourceOf: [Int], capacity: Int, maxNewPositions: Int) {
        let config = model.config, inner = config.innerDim, d = config.dModel
        slots = sourceOf.count
        self.capacity = capacity
        self.sourceOf = sourceOf
        self.encoder = encoder
        selfKeys = (0..<config.numDecoderLayers).map { _ in FloatBuffer(count: sourceOf.count * capacity * inner, zeroed: false) }
        selfValues = (0..<config.numDecoderLayers).map { _ in FloatBuffer(count: sourceOf.count * capacity * inner, zeroed: false) }
        let sourceRows = encoder.batch * encoder.length
        var keys: [FloatBuffer] = [], values: [FloatBuffer] = []
        for layer in model.weights.decoder {
            let kb = FloatBuffer(count: sourceRows * inner, zeroed: false), vb = FloatBuffer(count: sourceRows * inner, zeroed: false)
            layer.crossAttention.k.apply(encoder.hidden.pointer, m: sourceRows, into: kb.pointer)
            layer.crossAttention.v.apply(encoder.hidden.pointer, m: sourceRows, into: vb.pointer)
            keys.append(kb)
            values.append(vb)
        }
        crossKeys = keys
        crossValues = values
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

    /// Beam reordering and dropping finished rows: slot i takes the history of slot `from[i]`, and
    /// only `from.count` slots remain (self-attention cache only; cross-attention follows `sourceOf`).
    public func reorder(from: [Int], innerDim: Int) {
        precondition(from.count <= slots && from.allSatisfy { $0 >= 0 && $0 < slots })
        if from.count == slots && from.enumerated().allSatisfy({ $0.offset == $0.element }) { return }
        let rowFloats = length * innerDim
        let stride = capacity * innerDim
        let temporary = FloatBuffer(count: max(1, from.count * rowFloats), zeroed: false)
        for buffers in [selfKeys, selfValues] {
            for buffer in buffers {
                for (slot, source) in from.enumerated() {
                    (temporary.pointer + slot * rowFloats).update(from: buffer.pointer + source * stride, count: rowFloats)
                }
                for slot in 0..<from.count {
                    (buffer.pointer + slot * stride).update(from: temporary.pointer + slot * rowFloats, count: rowFloats)
                }
            }
        }
        sourceOf = from.map { sourceOf[$0] }
        slots = from.count
    }
}
