// Scaled-dot-product attention for one sequence and one head, T5 style, as inference runs it (training's
// forward/backward pair is T5Training/AttentionBlock.swift): no 1/sqrt(d) scaling,
// an additive bias, and a valid-prefix mask per query row. Q, K, V, O are head slices inside
// wider rows (leading dimension `ld*`), as they sit in [tokens, heads·dKV] projections.
public enum Attention {
    /// probs[q, k] receives the softmax; `bias` gives one row per query, or nil.
    public static func forward(q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int,
                               v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                               bias: BiasRows?, probs: UnsafeMutablePointer<Float>,
                               queries: Int, keys: Int, headDim: Int, keysTransposed: Bool = false,
                               validKeys: (Int) -> Int) {
        // keys are rows [keys, ldk], or with `keysTransposed` columns [headDim, ldk]
        GEMM.matmul(q, lda: ldq, k, ldb: ldk, probs, ldc: keys, m: queries, k: headDim, n: keys,
                    transposeB: !keysTransposed)
        Softmax.forward(probs, rows: queries, cols: keys, bias: bias, validColumns: validKeys)
        GEMM.matmul(probs, lda: keys, v, ldb: ldv, out, ldc: ldo, m: queries, k: keys, n: headDim)
    }
}

extension Attention {
    /// One query against `keys` keys (a decoding step): scores, softmax and weighted sum in place,
    /// without GEMM call overhead. `bias` is one row [keys] or nil; all `keys` are valid.
    /// Keys are rows [keys, ldk], or with `keysTransposed` columns [headDim, ldk]: then the scores of
    /// all keys grow together, row by row, with no horizontal sums, and the keys stream sequentially.
    @inline(__always)
    public static func forwardSingleQuery(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ldk: Int, keysTransposed: Bool = false,
                                          v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                          bias: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>,
                                          keys: Int, headDim: Int) {
        if keysTransposed {
            singleQueryScores(q: q, keysTransposed: k, ldk: ldk, bias: bias, scores: scores, keys: keys, headDim: headDim)
        } else {
            singleQueryScores(q: q, k: k, ldk: ldk, bias: bias, scores: scores, keys: keys, headDim: headDim)
        }
        softmaxThenValues(scores: scores, keys: keys, v: v, ldv: ldv, out: out, headDim: headDim)
    }

    /// Softmax of the scores in place, then out = Σ_j p_j · v_j.
    @inline(__always)
    static func softmaxThenValues(scores: UnsafeMutablePointer<Float>, keys: Int, v: UnsafePointer<Float>, ldv: Int,
                                  out: UnsafeMutablePointer<Float>, headDim: Int) {
        Softmax.forwardRow(scores, valid: keys)
        if headDim == 64 {
            singleQueryValues64(v: v, ldv: ldv, out: out, probs: scores, keys: keys)
        } else {
            singleQueryValues(v: v, ldv: ldv, out: out, probs: scores, keys: keys, headDim: headDim)
        }
    }

    /// Keys go 8 at a time, with a scalar tail; each score sums over c in ascending order.
    @inline(__always)
    static func singleQueryScores(q: UnsafePointer<Float>, keysTransposed kt: UnsafePointer<Float>, ldk: Int,
                                  bias: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>, keys: Int, headDim: Int) {
        let vectorKeys = keys & ~7
        scores.initialize(repeating: 0, count: keys)
        for c in 0..<headDim {
            let row = kt + c * ldk, qc = q[c], lanes = SIMD8<Float>(repeating: qc)
            var j = 0
            while j < vectorKeys {
                VectorMath.store(VectorMath.load(scores + j) + lanes * VectorMath.load(row + j), scores + j)
                j += 8
            }
            for t in vectorKeys..<keys { scores[t] += qc * row[t] }
        }
        if let bias { for j in 0..<keys { scores[j] += bias[j] } }
    }

    /// The head dimension goes 8 lanes at a time (a tail of fewer lanes is zero-padded).
    @inline(__always)
    static func singleQueryScores(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ldk: Int, bias: UnsafePointer<Float>?,
                                  scores: UnsafeMutablePointer<Float>, keys: Int, headDim: Int) {
        for j in 0..<keys { scores[j] = (bias?[j] ?? 0) + dot(q, k + j * ldk, headDim) }
    }

    /// out = Σ_j p_j · v_j, key rows outer so each row of V is read once, contiguously.
    @inline(__always)
    static func singleQueryValues(v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                  probs: UnsafePointer<Float>, keys: Int, headDim: Int) {
        for c in 0..<headDim { out[c] = 0 }
        for j in 0..<keys {
            let p = SIMD8<Float>(repeating: probs[j]), vj = v + j * ldv
            var c = 0
            while c < headDim {
                VectorMath.store(VectorMath.load(out, c, headDim) + p * VectorMath.load(vj, c, headDim), out, c, headDim)
                c += 8
            }
        }
    }

    /// q·k as eight lanes of partial sums over the head dimension, then `sum()`.
    @inline(__always)
    static func dot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ headDim: Int) -> Float {
        var dots = SIMD8<Float>.zero
        var c = 0
        while c < headDim {
            dots += VectorMath.load(q, c, headDim) * VectorMath.load(k, c, headDim)
            c += 8
        }
        return dots.sum()
    }

    // T5's head dimension (64 in every size): the weighted sum of values in eight registers, the
    // same operations in the same order as `singleQueryValues`, so bit-identical, only faster.

    @inline(__always)
    static func singleQueryValues64(v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                    probs: UnsafePointer<Float>, keys: Int) {
        var o0 = SIMD8<Float>.zero, o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0
        for j in 0..<keys {
            let p = SIMD8<Float>(repeating: probs[j]), r = v + j * ldv
            o0 += p * VectorMath.load(r); o1 += p * VectorMath.load(r + 8)
            o2 += p * VectorMath.load(r + 16); o3 += p * VectorMath.load(r + 24)
            o4 += p * VectorMath.load(r + 32); o5 += p * VectorMath.load(r + 40)
            o6 += p * VectorMath.load(r + 48); o7 += p * VectorMath.load(r + 56)
        }
        VectorMath.store(o0, out); VectorMath.store(o1, out + 8); VectorMath.store(o2, out + 16)
        VectorMath.store(o3, out + 24); VectorMath.store(o4, out + 32); VectorMath.store(o5, out + 40)
        VectorMath.store(o6, out + 48); VectorMath.store(o7, out + 56)
    }
}
