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
    // libm fmaf call per lane (30x slower). Two weight rows and up to four rows of x go together, so
    // each vector loaded from memory feeds two or four products from registers. Every output is the
    // same 8-lane sum whatever the block, so a sequence's logits do not depend on the batch around it.

    static func smallBatchProduct(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<Float>, rows: Int, cols: Int,
                                  y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let pairs = (rows + 1) / 2
        Parallel.forRanges(pairs, costPerItem: 4 * m * cols) { range in
            for pair in range {
                let j = 2 * pair
                let second = j + 1 < rows
                var i = 0
                while i < m {
                    let block = m - i >= 4 ? 4 : 1
                    let sums = block == 4
                        ? rowPairTimesFour(x + i * cols, weight + j * cols, second: second, cols: cols)
                        : rowPairTimesOne(x + i * cols, weight + j * cols, second: second, cols: cols)
                    for r in 0..<block {
                        store(sums[r], y + (i + r) * rows + j, accumulate: accumulate, scale: scale)
                        if second { store(sums[4 + r], y + (i + r) * rows + j + 1, accumulate: accumulate, scale: scale) }
                    }
                    i += block
                }
            }
        }
    }

    /// Dot products of x rows 0..<4 with weight rows w and (when `second`) w + cols: lanes 0-3 and 4-7.
    @inline(__always)
    static func rowPairTimesFour(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, second: Bool, cols: Int) -> SIMD8<Float> {
        let w1 = second ? w + cols : w
        let x1 = x + cols, x2 = x1 + cols, x3 = x2 + cols
        var a0 = SIMD8<Float>.zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
        let vectorCols = cols & ~7
        var c = 0
        while c < vectorCols {
            let v = load8(w + c), u = load8(w1 + c)
            let p0 = load8(x + c), p1 = load8(x1 + c), p2 = load8(x2 + c), p3 = load8(x3 + c)
            a0 += p0 * v; a1 += p1 * v; a2 += p2 * v; a3 += p3 * v
            b0 += p0 * u; b1 += p1 * u; b2 += p2 * u; b3 += p3 * u
            c += 8
        }
        var out = SIMD8<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum(), b0.sum(), b1.sum(), b2.sum(), b3.sum())
        for t in vectorCols..<cols {
            for r in 0..<4 {
                out[r] += x[r * cols + t] * w[t]
                out[4 + r] += x[r * cols + t] * w1[t]
            }
        }
        return out
    }

    /// As `rowPairTimesFour` for a single row of x (lanes 0 and 4).
    @inline(__always)
    static func rowPairTimesOne(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, second: Bool, cols: Int) -> SIMD8<Float> {
        let w1 = second ? w + cols : w
        var a0 = SIMD8<Float>.zero, b0 = a0
        let vectorCols = cols & ~7
        var c = 0
        while c < vectorCols {
            let p0 = load8(x + c)
            a0 += p0 * load8(w + c)
            b0 += p0 * load8(w1 + c)
            c += 8
        }
        var out = SIMD8<Float>.zero
        out[0] = a0.sum()
        out[4] = b0.sum()
        for t in vectorCols..<cols {
            out[0] += x[t] * w[t]
            out[4] += x[t] * w1[t]
        }
        return out
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
