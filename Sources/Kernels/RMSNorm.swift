// T5's layer norm: y = w · x / sqrt(mean(x²) + eps). No mean subtraction, no bias, fp32 variance.
import COpenBLAS

public enum RMSNorm {
    /// Normalises each of `rows` rows of width `dim`; stores 1/rms per row in `rstd` when given (for backward).
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>? = nil, rows: Int, dim: Int, eps: Float) {
        Parallel.forRanges(rows, costPerItem: 3 * dim) { range in
            for row in range {
                let xr = x + row * dim
                let yr = y + row * dim
                let variance = blas_sdot(Int32(dim), xr, 1, xr, 1) / Float(dim)
                let inverse = 1 / (variance + eps).squareRoot()
                rstd?[row] = inverse
                for i in 0..<dim { yr[i] = weight[i] * (xr[i] * inverse) }
            }
        }
    }

    /// dx (+)= ∂L/∂x; dweight (+)= ∂L/∂w when given. With n = x·r:  dx = r·(g − n·mean(g·n)), g = dy·w.
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                dweight: UnsafeMutablePointer<Float>? = nil, rows: Int, dim: Int) {
        Parallel.forRanges(rows, costPerItem: 6 * dim) { range in
            for row in range {
                let xr = x + row * dim, dyr = dy + row * dim, dxr = dx + row * dim
                let r = rstd[row]
                var dot: Float = 0
                for i in 0..<dim { dot += dyr[i] * weight[i] * xr[i] * r }
                let meanDot = dot / Float(dim)
                for i in 0..<dim {
                    let normed = xr[i] * r
                    dxr[i] += r * (dyr[i] * weight[i] - normed * meanDot)
                }
            }
        }
        if let dweight {
            for row in 0..<rows {
                let r = rstd[row]
                for i in 0..<dim { dweight[i] += dy[row * dim + i] * x[row * dim + i] * r }
            }
        }
    }
}
