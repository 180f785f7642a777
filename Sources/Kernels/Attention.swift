// Scaled-dot-product attention for one sequence and one head, T5 style: no 1/sqrt(d) scaling,
// an additive bias, and a valid-prefix mask per query row. Q, K, V, O are head slices inside
// wider rows (leading dimension `ld*`), as they sit in [tokens, heads·dKV] projections.
import Foundation


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
    @inline(__always)
    public static func forwardSingleQuery(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ldk: Int,
                                          v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                          bias: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>,
                                          keys: Int, headDim: Int) {
        var maximum = -Float.infinity
        for j in 0..<keys {
            let kj = k + j * ldk
            var s: Float = bias?[j] ?? 0
            var dot: Float = 0
            for c in 0..<headDim { dot += q[c] * kj[c] }
            s += dot
            scores[j] = s
            if s > maximum { maximum = s }
        }
        var sum: Float = 0
        for j in 0..<keys {
            let e = Foundation.exp(scores[j] - maximum)
            scores[j] = e
            sum += e
        }
        let inverse = 1 / sum
        for c in 0..<headDim { out[c] = 0 }
        for j in 0..<keys {
            let p = scores[j] * inverse
            let vj = v + j * ldv
            for c in 0..<headDim { out[c] += p * vj[c] }
        }
    }
}
