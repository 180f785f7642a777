// Residual adds and scaling.

public enum Elementwise {
    /// y += x (residual connection).
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0..<count { x[i] *= factor }
    }
}
