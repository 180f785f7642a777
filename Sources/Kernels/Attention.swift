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
        if headDim == 64 {
            singleQueryScores64(q: q, k: k, ldk: ldk, bias: bias, scores: scores, keys: keys)
        } else {
            singleQueryScores(q: q, k: k, ldk: ldk, bias: bias, scores: scores, keys: keys, headDim: headDim)
        }
        Softmax.forwardRow(scores, valid: keys)
        if headDim == 64 {
            singleQueryValues64(v: v, ldv: ldv, out: out, probs: scores, keys: keys)
        } else {
            singleQueryValues(v: v, ldv: ldv, out: out, probs: scores, keys: keys, headDim: headDim)
        }
    }

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

    // T5's head dimension (64 in every size) in registers. Each key's dot product is a chain of eight
    // dependent adds; eight keys at once hide that latency. Same operations in the same order as
    // `dot` and the general loop, so the results are bit-identical, only faster.

    @inline(__always)
    static func singleQueryScores64(q: UnsafePointer<Float>, k: UnsafePointer<Float>, ldk: Int,
                                    bias: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>, keys: Int) {
        typealias V = SIMD8<Float>
        var j = 0
        while j + 8 <= keys {
            var d = (V.zero, V.zero, V.zero, V.zero, V.zero, V.zero, V.zero, V.zero)
            let r = k + j * ldk
            for c in stride(from: 0, to: 64, by: 8) {
                let qc = load(q + c)
                d.0 += qc * load(r + c); d.1 += qc * load(r + ldk + c)
                d.2 += qc * load(r + 2 * ldk + c); d.3 += qc * load(r + 3 * ldk + c)
                d.4 += qc * load(r + 4 * ldk + c); d.5 += qc * load(r + 5 * ldk + c)
                d.6 += qc * load(r + 6 * ldk + c); d.7 += qc * load(r + 7 * ldk + c)
            }
            let s = scores + j
            s[0] = d.0.sum(); s[1] = d.1.sum(); s[2] = d.2.sum(); s[3] = d.3.sum()
            s[4] = d.4.sum(); s[5] = d.5.sum(); s[6] = d.6.sum(); s[7] = d.7.sum()
            for lane in 0..<8 { s[lane] = (bias?[j + lane] ?? 0) + s[lane] }
            j += 8
        }
        while j < keys {
            scores[j] = (bias?[j] ?? 0) + dot(q, k + j * ldk, 64)
            j += 1
        }
    }

    @inline(__always)
    static func singleQueryValues64(v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>,
                                    probs: UnsafePointer<Float>, keys: Int) {
        typealias V = SIMD8<Float>
        var o = (V.zero, V.zero, V.zero, V.zero, V.zero, V.zero, V.zero, V.zero)
        for j in 0..<keys {
            let p = V(repeating: probs[j]), r = v + j * ldv
            o.0 += p * load(r); o.1 += p * load(r + 8); o.2 += p * load(r + 16); o.3 += p * load(r + 24)
            o.4 += p * load(r + 32); o.5 += p * load(r + 40); o.6 += p * load(r + 48); o.7 += p * load(r + 56)
        }
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: o.0, toByteOffset: 0, as: V.self); raw.storeBytes(of: o.1, toByteOffset: 32, as: V.self)
        raw.storeBytes(of: o.2, toByteOffset: 64, as: V.self); raw.storeBytes(of: o.3, toByteOffset: 96, as: V.self)
        raw.storeBytes(of: o.4, toByteOffset: 128, as: V.self); raw.storeBytes(of: o.5, toByteOffset: 160, as: V.self)
        raw.storeBytes(of: o.6, toByteOffset: 192, as: V.self); raw.storeBytes(of: o.7, toByteOffset: 224, as: V.self)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
}
