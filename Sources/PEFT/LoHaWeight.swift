import Kernels

/// LoHa's weight update (PEFT's `HadaWeight`): ΔW = (w1a·w1b) ⊙ (w2a·w2b) · scale, with w1a, w2a [out, r] and w1b,
/// w2b [r, in], row-major fp32. Both engines and the merge compute it here.
public enum LoHaWeight {
    /// The two factor products, P1 = w1a·w1b and P2 = w2a·w2b, each [out, in].
    public static func products(w1a: UnsafePointer<Float>, w1b: UnsafePointer<Float>, w2a: UnsafePointer<Float>,
                                w2b: UnsafePointer<Float>, rank r: Int, inFeatures: Int, outFeatures: Int,
                                into p1: UnsafeMutablePointer<Float>, _ p2: UnsafeMutablePointer<Float>) {
        GEMM.matmul(w1a, w1b, p1, m: outFeatures, k: r, n: inFeatures)
        GEMM.matmul(w2a, w2b, p2, m: outFeatures, k: r, n: inFeatures)
    }

    /// delta[i] (+)= p1[i] · p2[i] · scale.
    public static func combine(_ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>, scale: Float,
                               into delta: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool = false) {
        if accumulate {
            for i in 0..<count { delta[i] += p1[i] * p2[i] * scale }
        } else {
            for i in 0..<count { delta[i] = p1[i] * p2[i] * scale }
        }
    }

    /// ΔW as an array (for loading an adapter).
    public static func delta(w1a: [Float], w1b: [Float], w2a: [Float], w2b: [Float], rank r: Int, inFeatures: Int,
                             outFeatures: Int, scale: Float) -> [Float] {
        let count = inFeatures * outFeatures
        var p1 = [Float](repeating: 0, count: count), p2 = p1, delta = p1
        p1.withUnsafeMutableBufferPointer { a in
            p2.withUnsafeMutableBufferPointer { b in
                products(w1a: w1a, w1b: w1b, w2a: w2a, w2b: w2b, rank: r, inFeatures: inFeatures, outFeatures: outFeatures,
                         into: a.baseAddress!, b.baseAddress!)
                delta.withUnsafeMutableBufferPointer { combine(a.baseAddress!, b.baseAddress!, scale: scale, into: $0.baseAddress!, count: count) }
            }
        }
        return delta
    }
}
