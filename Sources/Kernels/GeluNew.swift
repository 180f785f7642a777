// gelu_new (tanh approximation, as HF's NewGELUActivation) and T5 v1.1's gated form gelu(a)·b.
// The gated kernels run 8 lanes at a time with tanh(u) written through VectorMath.exp; `value` and
// `derivative` are the plain scalar definitions (ungated variant, tests).
import Foundation

public enum GeluNew {
    typealias V = SIMD8<Float>
    static let c = Float((2.0 / Double.pi).squareRoot())

    @inline(__always)
    public static func value(_ x: Float) -> Float {
        0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x)))
    }

    @inline(__always)
    public static func derivative(_ x: Float) -> Float {
        let inner = c * (x + 0.044715 * x * x * x)
        let t = tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    }

    /// With e = exp(2u), u = √(2/π)(x + 0.044715x³): 1 + tanh u = 2e/(e+1) and 1 − tanh u = 2/(e+1),
    /// computed directly (no cancellation when tanh u is near ±1). Returns (1 + tanh u, 1 − tanh u).
    @inline(__always)
    static func onePlusMinusTanh(_ x: V) -> (V, V) {
        let cube: V = x * x * x
        let inner: V = c * (x + 0.044715 * cube)
        let e: V = VectorMath.exp(2 * inner)
        let inverse: V = 2 / (e + 1)
        return (e * inverse, inverse)
    }

    /// out = gelu(a) · b, element-wise over `count` (out may alias a or b).
    public static func gatedForward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges((count + 7) / 8, costPerItem: 80) { blocks in
            for block in blocks {
                let i = block * 8
                let x = VectorMath.load(a, i, count)
                let (plus, _) = onePlusMinusTanh(x)
                VectorMath.store(0.5 * x * plus * VectorMath.load(b, i, count), out, i, count)
            }
        }
    }

    /// da = dout·b·gelu'(a), db = dout·gelu(a) (overwritten, not accumulated).
    public static func gatedBackward(_ dout: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                     da: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges((count + 7) / 8, costPerItem: 100) { blocks in
            for block in blocks {
                let i = block * 8
                let x = VectorMath.load(a, i, count), g = VectorMath.load(dout, i, count)
                let (plus, minus) = onePlusMinusTanh(x)
                let slope: V = (plus * minus) * (c * (1 + 0.134145 * x * x))
                let derivative: V = 0.5 * plus + 0.5 * x * slope
                VectorMath.store(g * VectorMath.load(b, i, count) * derivative, da, i, count)
                VectorMath.store(g * 0.5 * x * plus, db, i, count)
            }
        }
    }
}
