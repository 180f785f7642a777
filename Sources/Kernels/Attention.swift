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

extension Attention {
    /// One query against `keys` keys (a decoding step): scores, softmax and weighted sum in place,
    /// without GEMM call overhead. `bias` is one row [keys] or nil; all `keys` are valid.
    /// The head dimension goes 8 lanes at a time (a tail of fewer lanes is zero-padded).
    @inline(__always)
    public static func forwardSingleQuery(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ldk: Int,
                                          v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                          bias: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>,
                                          keys: Int, headDim: Int) {
        for j in 0..<keys {
            let kj = k + j * ldk
            var dots = SIMD8<Float>.zero
            var c = 0
            while c < headDim {
                dots += VectorMath.load(q, c, headDim) * VectorMath.load(kj, c, headDim)
                c += 8
            }
            scores[j] = (bias?[j] ?? 0) + dots.sum()
        }
        Softmax.forwardRow(scores, valid: keys)
        // out = Σ_j p_j · v_j, key rows outer so each row of V is read once, contiguously
        for c in 0..<headDim { out[c] = 0 }
        for j in 0..<keys {
            let p = SIMD8<Float>(repeating: scores[j]), vj = v + j * ldv
            var c = 0
            while c < headDim {
                VectorMath.store(VectorMath.load(out, c, headDim) + p * VectorMath.load(vj, c, headDim), out, c, headDim)
                c += 8
            }
        }
    }
}
