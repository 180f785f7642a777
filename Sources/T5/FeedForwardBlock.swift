// The T5 feed-forward sub-layer: h += wo(act(wi·norm(h))), gated or ReLU.
import Kernels

/// Reusable activations for up to `rows` rows (so decoding steps allocate nothing).
final class FeedForwardScratch {
    let rows: Int
    let normed, hidden, linear: FloatBuffer
    init(rows: Int, config: T5Config) {
        self.rows = rows
        normed = FloatBuffer(count: rows * config.dModel, zeroed: false)
        hidden = FloatBuffer(count: rows * config.dFF, zeroed: false)
        linear = FloatBuffer(count: config.feedForward == .gatedGelu ? rows * config.dFF : 0, zeroed: false)
    }
}

enum FeedForwardBlock {
    /// `h` is [rows, d]; updated in place.
    static func forward(_ h: UnsafeMutablePointer<Float>, rows: Int, norm: [Float], weights: T5Weights.FeedForward,
                        config: T5Config, scratch: FeedForwardScratch) {
        precondition(rows <= scratch.rows)
        let d = config.dModel, ff = config.dFF
        RMSNorm.forward(h, weight: norm, scratch.normed.pointer, rows: rows, dim: d, eps: config.layerNormEpsilon)
        weights.wi.apply(scratch.normed.pointer, m: rows, into: scratch.hidden.pointer)
        if let gate = weights.wiGate {
            gate.apply(scratch.normed.pointer, m: rows, into: scratch.linear.pointer)
            GeluNew.gatedForward(scratch.hidden.pointer, scratch.linear.pointer, scratch.hidden.pointer, count: rows * ff)
        } else {
            ReLU.forward(scratch.hidden.pointer, count: rows * ff)
        }
        weights.wo.apply(scratch.hidden.pointer, m: rows, into: h, accumulate: true)
    }
}
