// Products x·Wᵀ for the cases sgemm handles badly. With a few rows of x (decoding), OpenBLAS still
// packs the whole weight matrix on every call, so a SIMD dot-product kernel that streams each weight
// row once is several times faster; it is memory-bound, which is also why bf16 weights pay off.
// OpenBLAS 0.3.21 here has no cblas_sbgemm, so for many rows (encoder, training) tiles of a bf16
// weight are widened to fp32 and handed to sgemm.
import Kernels

enum WeightKernels {
    /// Rows of x at or below which the streaming kernels beat sgemm.
    static let smallBatchRows = 16
    /// fp32 weights smaller than this fit in cache, where sgemm's packing costs little.
    static let streamingMinimumSize = 1 << 16

    // SIMD note: `a += x * w`, not `addProduct`: without FMA in the compile target, addProduct is a
    // libm fmaf call per lane (30x slower). Rows of x go in blocks of four so each weight vector
    // loaded is used four times from registers.

    static func smallBatchProduct(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<Float>, rows: Int, cols: Int,
                                  y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let vectorCols = cols & ~7
        Parallel.forRanges(rows, costPerItem: 2 * m * cols) { range in
            for j in range {
                let w = weight + j * cols
                var i = 0
                while i + 4 <= m {
                    let x0 = x + i * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols
                    var a0 = SIMD8<Float>.zero, a1 = SIMD8<Float>.zero, a2 = SIMD8<Float>.zero, a3 = SIMD8<Float>.zero
                    var c = 0
                    while c < vectorCols {
                        let wv = load8(w + c)
                        a0 += load8(x0 + c) * wv
                        a1 += load8(x1 + c) * wv
                        a2 += load8(x2 + c) * wv
                        a3 += load8(x3 + c) * wv
                        c += 8
                    }
                    let sums = (a0.sum(), a1.sum(), a2.sum(), a3.sum())
                    for r in 0..<4 {
                        var total = r == 0 ? sums.0 : r == 1 ? sums.1 : r == 2 ? sums.2 : sums.3
                        for t in vectorCols..<cols { total += x[(i + r) * cols + t] * w[t] }
                        store(total, y + (i + r) * rows + j, accumulate: accumulate, scale: scale)
                    }
                    i += 4
                }
                while i < m {
                    let x0 = x + i * cols
                    var a0 = SIMD8<Float>.zero, a1 = SIMD8<Float>.zero
                    var c = 0
                    while c + 16 <= vectorCols {
                        a0 += load8(x0 + c) * load8(w + c)
                        a1 += load8(x0 + c + 8) * load8(w + c + 8)
                        c += 16
                    }
                    if c < vectorCols { a0 += load8(x0 + c) * load8(w + c) }
                    var total = (a0 + a1).sum()
                    for t in vectorCols..<cols { total += x0[t] * w[t] }
                    store(total, y + i * rows + j, accumulate: accumulate, scale: scale)
                    i += 1
                }
            }
        }
    }

    /// bf16 weights: each 16-value chunk is read as eight 32-bit words; `word << 16` gives the even
    /// values and `word & 0xFFFF0000` the odd ones as fp32, so x is first split into even/odd halves
    /// per chunk to match.
    static func smallBatchProduct(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<UInt16>, rows: Int, cols: Int,
                                  y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let vectorCols = cols & ~15
        let split = FloatBuffer(count: m * cols, zeroed: false)
        for i in 0..<m {
            let source = x + i * cols, target = split.pointer + i * cols
            var c = 0
            while c < vectorCols {
                for k in 0..<8 {
                    target[c + k] = source[c + 2 * k]
                    target[c + 8 + k] = source[c + 2 * k + 1]
                }
                c += 16
            }
        }
        let xs = UnsafePointer(split.pointer)
        let high = SIMD8<UInt32>(repeating: 0xFFFF_0000)
        Parallel.forRanges(rows, costPerItem: 2 * m * cols) { range in
            for j in range {
                let w = weight + j * cols
                var i = 0
                while i < m {
                    let block = min(4, m - i)
                    var a0 = SIMD8<Float>.zero, a1 = SIMD8<Float>.zero, a2 = SIMD8<Float>.zero, a3 = SIMD8<Float>.zero
                    let x0 = xs + i * cols
                    var c = 0
                    if block == 4 {
                        let x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols
                        while c < vectorCols {
                            let words = UnsafeRawPointer(w + c).loadUnaligned(as: SIMD8<UInt32>.self)
                            let even = unsafeBitCast(words &<< 16, to: SIMD8<Float>.self)
                            let odd = unsafeBitCast(words & high, to: SIMD8<Float>.self)
                            a0 += load8(x0 + c) * even + load8(x0 + c + 8) * odd
                            a1 += load8(x1 + c) * even + load8(x1 + c + 8) * odd
                            a2 += load8(x2 + c) * even + load8(x2 + c + 8) * odd
                            a3 += load8(x3 + c) * even + load8(x3 + c + 8) * odd
                            c += 16
                        }
                    } else {
                        while c < vectorCols {
                            let words = UnsafeRawPointer(w + c).loadUnaligned(as: SIMD8<UInt32>.self)
                            let even = unsafeBitCast(words &<< 16, to: SIMD8<Float>.self)
                            let odd = unsafeBitCast(words & high, to: SIMD8<Float>.self)
                            a0 += load8(x0 + c) * even + load8(x0 + c + 8) * odd
                            c += 16
                        }
                    }
                    let sums = (a0.sum(), a1.sum(), a2.sum(), a3.sum())
                    for r in 0..<(block == 4 ? 4 : 1) {
                        var total = r == 0 ? sums.0 : r == 1 ? sums.1 : r == 2 ? sums.2 : sums.3
                        for t in vectorCols..<cols { total += x[(i + r) * cols + t] * bf16ToFloatInline(w[t]) }
                        store(total, y + (i + r) * rows + j, accumulate: accumulate, scale: scale)
                    }
                    i += block == 4 ? 4 : 1
                }
            }
        }
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ total: Float, _ out: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        out.pointee = accumulate ? out.pointee + scale * total : scale * total
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
