// PEFT's LoHa on one linear: ΔW = (w1a·w1b) ⊙ (w2a·w2b) · α/r with w1a, w2a [out, r] and w1b, w2b [r, in]
// (PEFT.LoHaWeight). Its backward is PEFT's `HadaWeight.backward`: with g = ∂loss/∂ΔW · α/r,
// dw1a = (g ⊙ P2)·w1bᵀ, dw1b = w1aᵀ·(g ⊙ P2), and likewise for w2 with P1.
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

    private func products(_ layer: LinearLayer, scratch: Arena) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        let count = layer.outFeatures * layer.inFeatures
        let p1 = scratch.floats(count), p2 = scratch.floats(count)
        LoHaWeight.products(w1a: w1a.value, w1b: w1b.value, w2a: w2a.value, w2b: w2b.value, rank: rank,
                            inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, into: p1, p2)
        return (p1, p2)
    }

    override func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        let (p1, p2) = products(layer, scratch: scratch)
        LoHaWeight.combine(p1, p2, scale: scale, into: delta, count: layer.outFeatures * layer.inFeatures)
    }

    override func accumulateGradients(_ layer: LinearLayer, dDelta g: UnsafePointer<Float>, scratch: Arena,
                                      delta: UnsafeMutablePointer<Float>?) {
        let (inF, outF, r) = (layer.inFeatures, layer.outFeatures, rank), count = inF * outF
        let (p1, p2) = products(layer, scratch: scratch)
        if let delta { LoHaWeight.combine(p1, p2, scale: scale, into: delta, count: count) }
        let t = scratch.floats(count)
        // t = g·scale ⊙ P2 → w1's gradients; then g·scale ⊙ P1 → w2's
        for (other, a, b) in [(p2, w1a, w1b), (p1, w2a, w2b)] {
            for i in 0..<count { t[i] = g[i] * scale * other[i] }
            if let da = a.gradient { GEMM.matmul(t, b.value, da, m: outF, k: inF, n: r, transposeB: true, beta: 1) }
            if let db = b.gradient { GEMM.matmul(a.value, t, db, m: r, k: outF, n: inF, transposeA: true, beta: 1) }
        }
    }
}
