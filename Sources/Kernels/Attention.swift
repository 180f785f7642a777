// Scaled-dot-product attention for one sequence and one head, T5 style: no 1/sqrt(d) scaling,
// an additive bias, and a valid-prefix mask per query row. Q, K, V, O are head slices inside
// wider rows (leading dimension `ld*`), as they sit in [tokens, heads·dKV] projections.

public enum Attention {
    /// probs[q, k] receives the softmax (saved for backward); `bias` is [queries, keys] or nil.
    public static func forward(q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int,
                               v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                               bias: UnsafePointer<Float>?, probs: UnsafeMutablePointer<Float>,
                               queries: Int, keys: Int, headDim: Int, validKeys: (Int) -> Int) {
        if let bias {
            probs.update(from: bias, count: queries * keys)
            GEMM.matmul(q, lda: ldq, k, ldb: ldk, probs, ldc: keys, m: queries, k: headDim, n: keys, transposeB: true, beta: 1)
        } else {
            GEMM.matmul(q, lda: ldq, k, ldb: ldk, probs, ldc: keys, m: queries, k: headDim, n: keys, transposeB: true)
        }
        Softmax.forward(probs, rows: queries, cols: keys, validColumns: validKeys)
        GEMM.matmul(probs, lda: keys, v, ldb: ldv, out, ldc: ldo, m: queries, k: keys, n: headDim)
    }

    /// Given dout, accumulates dq, dk, dv (same strided layouts) and returns dscores in `scratch`
    /// [queries, keys] (the gradient of the bias, for callers that train it).
    public static func backward(dout: UnsafePointer<Float>, ldo: Int, q: UnsafePointer<Float>, ldq: Int,
                                k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int,
                                probs: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                queries: Int, keys: Int, headDim: Int) {
        // dP = dO · Vᵀ ; dV += Pᵀ · dO
        GEMM.matmul(dout, lda: ldo, v, ldb: ldv, scratch, ldc: keys, m: queries, k: headDim, n: keys, transposeB: true)
        GEMM.matmul(probs, lda: keys, dout, ldb: ldo, dv, ldc: ldv, m: keys, k: queries, n: headDim, transposeA: true, beta: 1)
        Softmax.backward(scratch, probs: probs, rows: queries, cols: keys)
        // dQ += dS · K ; dK += dSᵀ · Q
        GEMM.matmul(scratch, lda: keys, k, ldb: ldk, dq, ldc: ldq, m: queries, k: keys, n: headDim, beta: 1)
        GEMM.matmul(scratch, lda: keys, q, ldb: ldq, dk, ldc: ldk, m: keys, k: queries, n: headDim, transposeA: true, beta: 1)
    }
}
