// gelu_new (tanh approximation, as HF's NewGELUActivation) and T5 v1.1's gated form gelu(a)·b.
import Foundation

public enum GeluNew {
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

    /// out = gelu(a) · b, element-wise over `count`.
    public static func gatedForward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, costPerItem: 20) { range in
            for i in range { out[i] = value(a[i]) * b[i] }
        }
    }

    /// da = dout·b·gelu'(a), db = dout·gelu(a) (overwritten, not accumulated).
    public static func gatedBackward(_ dout: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                     da: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, costPerItem: 30) { range in
            for i in range {
                da[i] = dout[i] * b[i] * derivative(a[i])
                db[i] = dout[i] * value(a[i])
            }
        }
    }

    /// In-place gelu (the ungated T5 variant with gelu activation).
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, costPerItem: 20) { range in
            for i in range { x[i] = value(x[i]) }
        }
    }

    /// dx = dout·gelu'(x) where x is the saved pre-activation.
    public static func backward(_ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dx[i] = dout[i] * derivative(x[i]) }
    }
}
