// Products with bf16 weights. OpenBLAS 0.3.21 here has no cblas_sbgemm, so: for a few rows of x
// (decoding) a SIMD dot-product kernel reads the bf16 weights once; for many rows (encoder,
// training) tiles of the weight are widened to fp32 and handed to sgemm.
import Kernels

enum BF16Kernels {
    @inline(__always)
    static func widen(_ p: UnsafePointer<UInt16>) -> SIMD16<Float> {
        let halves = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)
        return unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: halves) &<< 16, to: SIMD16<Float>.self)
    }

    static func smallBatchProduct(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<UInt16>, rows: Int, cols: Int,
                                  y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let vectorCols = cols & ~15
        Parallel.forRanges(rows, costPerItem: 2 * m * cols) { range in
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: m) { sums in
                for j in range {
                    let w = weight + j * cols
                    for i in 0..<m { sums[i] = .zero }
                    var c = 0
                    while c < vectorCols {
                        let wv = widen(w + c)
                        for i in 0..<m {
                            let xv = UnsafeRawPointer(x + i * cols + c).loadUnaligned(as: SIMD16<Float>.self)
                            sums[i].addProduct(xv, wv)
                        }
                        c += 16
                    }
                    for i in 0..<m {
                        var total = sums[i].sum()
                        for tail in vectorCols..<cols { total += x[i * cols + tail] * bf16ToFloatInline(w[tail]) }
                        let out = y + i * rows + j
                        out.pointee = accumulate ? out.pointee + scale * total : scale * total
                    }
                }
            }
        }
    }

    static func tiledProduct(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<UInt16>, rows: Int, cols: Int,
                             y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let tileRows = max(1, min(rows, (1 << 18) / max(cols, 1)))
        let tile = FloatBuffer(count: tileRows * cols, zeroed: false)
        var start = 0
        while start < rows {
            let count = min(tileRows, rows - start)
            let source = weight + start * cols
            let target = tile.pointer
            Parallel.forRanges(count * cols, costPerItem: 1) { range in
                for i in range { target[i] = bf16ToFloatInline(source[i]) }
            }
            GEMM.matmul(x, lda: cols, tile.pointer, ldb: cols, y + start, ldc: rows, m: m, k: cols, n: count,
                        transposeB: true, alpha: scale, beta: accumulate ? 1 : 0)
            start += count
        }
    }

    @inline(__always)
    static func bf16ToFloatInline(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
