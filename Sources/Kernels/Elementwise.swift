// Residual adds, scaling, and the per-column products of IA3 (a vector scaling every row of a matrix).

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

    /// y[r, c] = x[r, c] · s[c] for a row-major [rows, cols] matrix (`y` may be `x`).
    public static func scaleColumns(_ x: UnsafePointer<Float>, by s: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                    rows: Int, cols: Int) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            for c in 0..<cols { yr[c] = xr[c] * s[c] }
        }
    }

    /// y[r, c] += x[r, c] · s[c].
    public static func addScaledColumns(_ x: UnsafePointer<Float>, by s: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                        rows: Int, cols: Int) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            for c in 0..<cols { yr[c] += xr[c] * s[c] }
        }
    }

    /// out[c] += Σ_r a[r, c] · b[r, c], rows in order (the gradient of a column scaling).
    public static func addColumnProductSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                            rows: Int, cols: Int) {
        for r in 0..<rows {
            let ar = a + r * cols, br = b + r * cols
            for c in 0..<cols { out[c] += ar[c] * br[c] }
        }
    }
}
