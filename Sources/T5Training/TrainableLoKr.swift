// PEFT's LoKr on one linear: ΔW = kron(w1 [a, c], w2 [b, d]) · α/r (PEFT.LoKrWeight), each factor one matrix or the
// product of a low-rank pair, as PEFT.LoKrShape decides from the layer's widths and r.
// PEFT forms ΔW [a·b, c·d] and multiplies with it; here training never does. Each row x of the input, read as a
// matrix X [c, d], gives the row X·ΔWᵀ as the matrix scale · w1·X·w2ᵀ [a, b], so a product costs rows·(c·d·b + c·b·a)
// multiply-adds instead of rows·(a·b)·(c·d): for a 768-wide T5-base projection (24·32 by 24·32) 14 times fewer, and
// the backward likewise. The factor gradients follow from the same contraction, then through a factored
// w = w_a·w_b: dw_a = dw·w_bᵀ, dw_b = w_aᵀ·dw. The merge still forms ΔW (WeightDeltaAdapter).
import Kernels
import PEFT

public final class TrainableLoKr: WeightDeltaAdapter, @unchecked Sendable {
    public let shape: LoKrShape
    public let scale: Float
    /// PEFT's tensors by name (lokr_w1 or lokr_w1_a/_b, lokr_w2 or lokr_w2_a/_b).
    public let tensors: [String: Parameter]

    init(shape: LoKrShape, scale: Float, parameters: [Parameter], names: [String]) {
        self.shape = shape
        self.scale = scale
        tensors = Dictionary(uniqueKeysWithValues: zip(names, parameters))
        super.init(parameters: parameters)
    }

    /// w1 [a, c] and w2 [b, d] as matrices (a low-rank pair multiplied out), in scratch.
    private func factors(scratch: Arena) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        let s = shape
        let w1 = scratch.floats(s.a * s.c), w2 = scratch.floats(s.b * s.d)
        LoKrWeight.factor(full: tensors["lokr_w1"].map { UnsafePointer($0.value) }, a: tensors["lokr_w1_a"].map { UnsafePointer($0.value) },
                          b: tensors["lokr_w1_b"].map { UnsafePointer($0.value) }, rows: s.a, cols: s.c, rank: s.rank, into: w1)
        LoKrWeight.factor(full: tensors["lokr_w2"].map { UnsafePointer($0.value) }, a: tensors["lokr_w2_a"].map { UnsafePointer($0.value) },
                          b: tensors["lokr_w2_b"].map { UnsafePointer($0.value) }, rows: s.b, cols: s.d, rank: s.rank, into: w2)
        return (w1, w2)
    }

    override func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        let (w1, w2) = factors(scratch: scratch)
        LoKrWeight.kron(w1, w2, shape: shape, scale: scale, into: delta)
    }

    /// Zt [c, rows·b] = the rows' X·w2ᵀ, regrouped by c: Z[r, j, k] = Σ_l X[r, j, l]·w2[k, l] lands at Zt[j, r, k].
    private func contractWithW2(_ x: UnsafePointer<Float>, rows: Int, w2: UnsafePointer<Float>, scratch: Arena) -> UnsafeMutablePointer<Float> {
        let s = shape
        let z = scratch.floats(rows * s.c * s.b), zt = scratch.floats(rows * s.c * s.b)
        GEMM.matmul(x, w2, z, m: rows * s.c, k: s.d, n: s.b, transposeB: true)
        Self.swapLeadingAxes(z, into: zt, first: rows, second: s.c, inner: s.b)
        return zt
    }

    override func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                          arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        layer.baseForward(x, rows: rows, into: y)
        guard rows > 0 else { return nil }
        let s = shape, scratch = context.scratch
        let (w1, w2) = factors(scratch: scratch)
        let zt = contractWithW2(x, rows: rows, w2: w2, scratch: scratch)
        // Yt [a, rows·b] = w1·Zt; y[r, i·b + k] += scale · Yt[i, r, k]
        let yt = scratch.floats(s.a * rows * s.b)
        GEMM.matmul(w1, zt, yt, m: s.a, k: s.c, n: rows * s.b)
        Self.swapLeadingAxes(yt, into: y, first: s.a, second: rows, inner: s.b, scale: scale, accumulate: true)
        return nil
    }

    override func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                           saved: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?,
                           accumulateInput: Bool, context: StepContext) {
        layer.baseBackward(dy, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
        guard rows > 0 else { return }
        let s = shape, scratch = context.scratch
        let (w1, w2) = factors(scratch: scratch)
        // Zt again rather than kept from the forward: rows·768 values a target (about 140 MB over flan-t5-base's q and v
        // at a real batch) against rows·768·32 multiply-adds, a 24th of the layer's own product
        let zt = contractWithW2(x, rows: rows, w2: w2, scratch: scratch)
        // dYt [a, rows·b]: dy[r, i·b + k] at dYt[i, r, k]
        let dyt = scratch.floats(s.a * rows * s.b)
        Self.swapLeadingAxes(dy, into: dyt, first: rows, second: s.a, inner: s.b)
        // dw1 = scale · Σ_r dY_r·Z_rᵀ = scale · dYt·Ztᵀ
        let dw1 = tensors["lokr_w1"]?.gradient ?? scratch.zeros(s.a * s.c)
        GEMM.matmul(dyt, zt, dw1, m: s.a, k: rows * s.b, n: s.c, transposeB: true, alpha: scale, beta: 1)
        // U [rows, c, b] with U_r = w1ᵀ·dY_r, through Ut [c, rows·b] = w1ᵀ·dYt
        let ut = scratch.floats(s.c * rows * s.b), u = scratch.floats(rows * s.c * s.b)
        GEMM.matmul(w1, dyt, ut, m: s.c, k: s.a, n: rows * s.b, transposeA: true)
        Self.swapLeadingAxes(ut, into: u, first: s.c, second: rows, inner: s.b)
        // dw2 = scale · Σ_r U_rᵀ·X_r (U as [rows·c, b], X as [rows·c, d]); dx += scale · U·w2
        let dw2 = tensors["lokr_w2"]?.gradient ?? scratch.zeros(s.b * s.d)
        GEMM.matmul(u, x, dw2, m: s.b, k: rows * s.c, n: s.d, transposeA: true, alpha: scale, beta: 1)
        if let dx { GEMM.matmul(u, w2, dx, m: rows * s.c, k: s.b, n: s.d, alpha: scale, beta: 1) }
        for (name, factorRows, factorCols, dw) in [("lokr_w1", s.a, s.c, dw1), ("lokr_w2", s.b, s.d, dw2)] where tensors[name] == nil {
            let a = tensors[name + "_a"]!, b = tensors[name + "_b"]!
            if let da = a.gradient { GEMM.matmul(dw, b.value, da, m: factorRows, k: factorCols, n: s.rank, transposeB: true, beta: 1) }
            if let db = b.gradient { GEMM.matmul(a.value, dw, db, m: s.rank, k: factorRows, n: factorCols, transposeA: true, beta: 1) }
        }
    }

    /// destination[q, p, :] (+)= scale · source[p, q, :] for source [first, second, inner]: the first two axes swapped.
    static func swapLeadingAxes(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, first: Int,
                                second: Int, inner: Int, scale: Float = 1, accumulate: Bool = false) {
        Parallel.forRanges(second, costPerItem: first * inner) { range in
            for q in range {
                for p in 0..<first {
                    let from = source + (p * second + q) * inner, to = destination + (q * first + p) * inner
                    if accumulate {
                        for t in 0..<inner { to[t] += scale * from[t] }
                    } else if scale == 1 {
                        to.update(from: from, count: inner)
                    } else {
                        for t in 0..<inner { to[t] = scale * from[t] }
                    }
                }
            }
        }
    }
}
