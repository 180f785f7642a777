// PEFT's LoHa on one linear: ΔW = (w1a·w1b) ⊙ (w2a·w2b) · α/r with w1a, w2a [out, r] and w1b, w2b [r, in]
// (PEFT.LoHaWeight). PEFT forms ΔW [out, in] and multiplies with it; here training never does. The Hadamard product
// of two rank-r products is one of rank r²: ΔW = A·B with A [out, r²], A[o, p·r + q] = w1a[o, p]·w2a[o, q], and
// B [r², in], B[p·r + q, i] = w1b[p, i]·w2b[q, i]. So the layer's update is x·Bᵀ·Aᵀ, as LoRA's is x·Aᵀ·Bᵀ with rank
// r² (64 at PEFT's default r 8): on a 768-wide layer 6 times fewer multiply-adds than x·ΔWᵀ, and likewise in the
// backward. The gradients of A and B go to the factors elementwise: dw1a[o, p] = Σ_q dA[o, pq]·w2a[o, q], and so on.
// The merge still forms ΔW (WeightDeltaAdapter).
import Kernels
import PEFT

public final class TrainableLoHa: WeightDeltaAdapter, @unchecked Sendable {
    public let w1a, w1b, w2a, w2b: Parameter
    public let rank: Int
    public let scale: Float

    init(w1a: Parameter, w1b: Parameter, w2a: Parameter, w2b: Parameter, rank: Int, scale: Float) {
        (self.w1a, self.w1b, self.w2a, self.w2b, self.rank, self.scale) = (w1a, w1b, w2a, w2b, rank, scale)
        super.init(parameters: [w1a, w1b, w2a, w2b])
    }

    override func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        let count = layer.outFeatures * layer.inFeatures
        let p1 = scratch.floats(count), p2 = scratch.floats(count)
        LoHaWeight.products(w1a: w1a.value, w1b: w1b.value, w2a: w2a.value, w2b: w2b.value, rank: rank,
                            inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, into: p1, p2)
        LoHaWeight.combine(p1, p2, scale: scale, into: delta, count: count)
    }

    /// A [out, r²] from w1a and w2a, B [r², in] from w1b and w2b, in scratch.
    private func rankSquaredFactors(_ layer: LinearLayer, scratch: Arena) -> (a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
        let r = rank, (inF, outF) = (layer.inFeatures, layer.outFeatures)
        let a = scratch.floats(outF * r * r), b = scratch.floats(r * r * inF)
        for o in 0..<outF {
            for p in 0..<r { for q in 0..<r { a[o * r * r + p * r + q] = w1a.value[o * r + p] * w2a.value[o * r + q] } }
        }
        for p in 0..<r {
            for q in 0..<r {
                let row = b + (p * r + q) * inF, first = w1b.value + p * inF, second = w2b.value + q * inF
                for i in 0..<inF { row[i] = first[i] * second[i] }
            }
        }
        return (a, b)
    }

    /// y = x·Wᵀ + scale · (x·Bᵀ)·Aᵀ; keeps H = x·Bᵀ [rows, r²] for the backward.
    override func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                          arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        layer.baseForward(x, rows: rows, into: y)
        guard rows > 0 else { return nil }
        let r2 = rank * rank, (inF, outF) = (layer.inFeatures, layer.outFeatures)
        let (a, b) = rankSquaredFactors(layer, scratch: context.scratch)
        let h = arena.floats(rows * r2)
        GEMM.matmul(x, b, h, m: rows, k: inF, n: r2, transposeB: true)
        GEMM.matmul(h, a, y, m: rows, k: r2, n: outF, transposeB: true, alpha: scale, beta: 1)
        return h
    }

    override func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                           saved h: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?,
                           accumulateInput: Bool, context: StepContext) {
        layer.baseBackward(dy, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
        guard rows > 0, let h else { return }
        let r = rank, r2 = rank * rank, (inF, outF) = (layer.inFeatures, layer.outFeatures), scratch = context.scratch
        let (a, b) = rankSquaredFactors(layer, scratch: scratch)  // again: out·r² + r²·in products, not worth keeping
        // G = dy·A [rows, r²]; dx += scale · G·B; dA = scale · dyᵀ·H; dB = scale · Gᵀ·x
        let g = scratch.floats(rows * r2), dA = scratch.floats(outF * r2), dB = scratch.floats(r2 * inF)
        GEMM.matmul(dy, a, g, m: rows, k: outF, n: r2)
        if let dx { GEMM.matmul(g, b, dx, m: rows, k: r2, n: inF, alpha: scale, beta: 1) }
        GEMM.matmul(dy, h, dA, m: outF, k: rows, n: r2, transposeA: true, alpha: scale)
        GEMM.matmul(g, x, dB, m: r2, k: rows, n: inF, transposeA: true, alpha: scale)
        // A[o, pq] = w1a[o, p]·w2a[o, q]; B[pq, i] = w1b[p, i]·w2b[q, i]
        for o in 0..<outF {
            let row = dA + o * r2, first = w1a.value + o * r, second = w2a.value + o * r
            if let d1a = w1a.gradient { for p in 0..<r { for q in 0..<r { d1a[o * r + p] += row[p * r + q] * second[q] } } }
            if let d2a = w2a.gradient { for p in 0..<r { for q in 0..<r { d2a[o * r + q] += row[p * r + q] * first[p] } } }
        }
        for p in 0..<r {
            for q in 0..<r {
                let row = dB + (p * r + q) * inF, first = w1b.value + p * inF, second = w2b.value + q * inF
                if let d1b = w1b.gradient { for i in 0..<inF { d1b[p * inF + i] += row[i] * second[i] } }
                if let d2b = w2b.gradient { for i in 0..<inF { d2b[q * inF + i] += row[i] * first[i] } }
            }
        }
    }
}
