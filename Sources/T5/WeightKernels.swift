// Products x·Wᵀ for the cases sgemm handles badly. With a few rows of x (decoding), OpenBLAS still
// packs the whole weight matrix on every call, so a SIMD dot-product kernel that streams each weight
// row once is several times faster; it is bound by memory bandwidth, which is why bf16 weights pay off.
// Many rows (encoder, training) go to Kernels.BF16GEMM instead.
import CPUHints
import Kernels
import SafeTensors

enum WeightKernels {
    /// Rows of x at or below which the streaming kernels beat sgemm.
    static let smallBatchRows = 16
    /// fp32 weights smaller than this fit in cache, where sgemm's packing costs little.
    static let streamingMinimumSize = 1 << 16

    /// How far ahead of its reads the streaming kernel prefetches weights, in bytes. On the 2-core
    /// benchmark machine 256 B to 8 KiB measured alike, all faster than the hardware prefetcher alone.
    static let prefetchDistance = 1024

    // SIMD note: products are fused multiply-adds (`addProduct`), one rounding per step. Built for the
    // machine's CPU (the Makefile passes scripts/swift_cpu_flags.sh), they are single FMA instructions;
    // a baseline x86-64 build has no FMA and calls libm's fmaf per lane: the same bits, decoding many
    // times slower. Eight, four or one rows of x go together; every output is the same chain of 8-lane
    // FMAs and one horizontal sum whatever the block, so a sequence's logits do not depend on the
    // batch around it, and bf16 rows, widened exactly in registers, give the bits of fp32 rows.

    static func smallBatchProduct<Element: StreamedWeight>(_ x: UnsafePointer<Float>, m: Int, weight: UnsafePointer<Element>,
                                                           rows: Int, cols: Int, y: UnsafeMutablePointer<Float>,
                                                           ldy: Int? = nil, accumulate: Bool, scale: Float) {
        let pairs = (rows + 1) / 2, ldy = ldy ?? rows
        Parallel.forRanges(pairs, costPerItem: 4 * m * cols) { range in
            for pair in range {
                let (j0, j1) = (pair, pair + pairs)
                multiplyRowPair(x, m: m, w0: weight + j0 * cols, w1: j1 < rows ? weight + j1 * cols : nil,
                                j0: j0, j1: j1, rows: ldy, cols: cols, y: y, accumulate: accumulate, scale: scale)
            }
        }
    }

    /// smallBatchProduct for an NF4 weight: the same row pairs and kernel, each pair dequantized (to the fp32 values of
    /// its bf16s, by the vector lookup) into the worker's 2 × cols buffer (in L1) right before its product. The bits
    /// are smallBatchProduct's on the dequantized bf16 matrix (a bf16 row widened in registers is that fp32 row).
    static func nf4SmallBatchProduct(_ x: UnsafePointer<Float>, m: Int, weight t: NF4Tensor, y: UnsafeMutablePointer<Float>,
                                     accumulate: Bool, scale: Float) {
        let (rows, cols) = (t.rows, t.cols)
        let pairs = (rows + 1) / 2
        Parallel.forRanges(pairs, costPerItem: 4 * m * cols + 8 * cols) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * cols) { buffer in
                let w0 = buffer.baseAddress!, w1 = w0 + cols
                for pair in range {
                    let (j0, j1) = (pair, pair + pairs)
                    t.dequantizeRounded((j0 * cols)..<((j0 + 1) * cols), into: w0)
                    if j1 < rows { t.dequantizeRounded((j1 * cols)..<((j1 + 1) * cols), into: w1) }
                    multiplyRowPair(x, m: m, w0: UnsafePointer(w0), w1: j1 < rows ? UnsafePointer(w1) : nil, j0: j0, j1: j1,
                                    rows: rows, cols: cols, y: y, accumulate: accumulate, scale: scale)
                }
            }
        }
    }

    /// y[·, j0] and y[·, j1] for all m rows of x (blocks of 8, 4, then 1), from weight rows w0 and w1
    /// (nil past the last row).
    /// Pair p is rows p and p + rows/2, not p and p + 1: then each weight pointer walks memory
    /// sequentially from one pair to the next, two streams the prefetcher follows; with adjacent rows
    /// the second stream jumped ahead by a row each time and missed (half of a batch-8 decoding step).
    /// Only the first block of x rows prefetches: later blocks find the two rows in L1.
    @inline(__always)
    static func multiplyRowPair<Element: StreamedWeight>(_ x: UnsafePointer<Float>, m: Int, w0: UnsafePointer<Element>,
                                                         w1: UnsafePointer<Element>?, j0: Int, j1: Int, rows: Int, cols: Int,
                                                         y: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        let second = w1 != nil, w1 = w1 ?? w0
        var i = 0
        while m - i >= 8 {
            let first = rowTimesEight(x + i * cols, w0, cols: cols, prefetch: i == 0 ? w1 : nil)
            for r in 0..<8 { store(first[r], y + (i + r) * rows + j0, accumulate: accumulate, scale: scale) }
            if second {
                let sums = rowTimesEight(x + i * cols, w1, cols: cols, prefetch: i == 0 ? w0 + cols : nil)
                for r in 0..<8 { store(sums[r], y + (i + r) * rows + j1, accumulate: accumulate, scale: scale) }
            }
            i += 8
        }
        while i < m {
            let block = m - i >= 4 ? 4 : 1
            let sums = block == 4
                ? rowPairTimesFour(x + i * cols, w0, w1, cols: cols, prefetch: i == 0)
                : rowPairTimesOne(x + i * cols, w0, w1, cols: cols, prefetch: i == 0)
            for r in 0..<block {
                store(sums[r], y + (i + r) * rows + j0, accumulate: accumulate, scale: scale)
                if second { store(sums[4 + r], y + (i + r) * rows + j1, accumulate: accumulate, scale: scale) }
            }
            i += block
        }
    }

    /// Dot products of x rows 0..<4 with weight rows w and w1: lanes 0-3 and 4-7.
    @inline(__always)
    static func rowPairTimesFour<Element: StreamedWeight>(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Element>,
                                                          _ w1: UnsafePointer<Element>, cols: Int, prefetch: Bool) -> SIMD8<Float> {
        let x1 = x + cols, x2 = x1 + cols, x3 = x2 + cols
        var a0 = SIMD8<Float>.zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
        let vectorCols = cols & ~7
        var c = 0
        while c < vectorCols {
            if prefetch { prefetchAhead(w, w1, c) }
            let v = Element.load8(w + c), u = Element.load8(w1 + c)
            let p0 = VectorMath.load(x + c), p1 = VectorMath.load(x1 + c), p2 = VectorMath.load(x2 + c), p3 = VectorMath.load(x3 + c)
            a0.addProduct(p0, v); a1.addProduct(p1, v); a2.addProduct(p2, v); a3.addProduct(p3, v)
            b0.addProduct(p0, u); b1.addProduct(p1, u); b2.addProduct(p2, u); b3.addProduct(p3, u)
            c += 8
        }
        var out = SIMD8<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum(), b0.sum(), b1.sum(), b2.sum(), b3.sum())
        for t in vectorCols..<cols {
            let v = w[t].float, u = w1[t].float
            for r in 0..<4 {
                out[r].addProduct(x[r * cols + t], v)
                out[4 + r].addProduct(x[r * cols + t], u)
            }
        }
        return out
    }

    /// Dot products of x rows 0..<8 with one weight row. Each weight vector feeds eight fused
    /// multiply-adds with x straight from L1: 10 vector operations per 64 products, against 20 for the
    /// earlier two-rows-by-four block with separate multiplies and adds (bf16 2048×768 at m = 8:
    /// 0.36-0.45 → 0.29-0.34 ms, streaming from memory).
    /// `other` is prefetched along with `w` (only by the first block of x rows): the pair's second row
    /// while w0 streams, the next pair's first row while w1 does.
    @inline(__always)
    static func rowTimesEight<Element: StreamedWeight>(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Element>,
                                                       cols: Int, prefetch other: UnsafePointer<Element>?) -> SIMD8<Float> {
        var a0 = SIMD8<Float>.zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        let vectorCols = cols & ~7
        var c = 0
        while c < vectorCols {
            if let other { prefetchAhead(w, other, c) }
            let v = Element.load8(w + c)
            let p = x + c
            a0.addProduct(VectorMath.load(p), v)
            a1.addProduct(VectorMath.load(p + cols), v)
            a2.addProduct(VectorMath.load(p + 2 * cols), v)
            a3.addProduct(VectorMath.load(p + 3 * cols), v)
            a4.addProduct(VectorMath.load(p + 4 * cols), v)
            a5.addProduct(VectorMath.load(p + 5 * cols), v)
            a6.addProduct(VectorMath.load(p + 6 * cols), v)
            a7.addProduct(VectorMath.load(p + 7 * cols), v)
            c += 8
        }
        var out = SIMD8<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum(), a4.sum(), a5.sum(), a6.sum(), a7.sum())
        for t in vectorCols..<cols {
            let v = w[t].float
            for r in 0..<8 { out[r].addProduct(x[r * cols + t], v) }
        }
        return out
    }

    /// As `rowPairTimesFour` for a single row of x (lanes 0 and 4).
    @inline(__always)
    static func rowPairTimesOne<Element: StreamedWeight>(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Element>,
                                                         _ w1: UnsafePointer<Element>, cols: Int, prefetch: Bool) -> SIMD8<Float> {
        var a0 = SIMD8<Float>.zero, b0 = a0
        let vectorCols = cols & ~7
        var c = 0
        while c < vectorCols {
            if prefetch { prefetchAhead(w, w1, c) }
            let p0 = VectorMath.load(x + c)
            a0.addProduct(p0, Element.load8(w + c))
            b0.addProduct(p0, Element.load8(w1 + c))
            c += 8
        }
        var out = SIMD8<Float>.zero
        out[0] = a0.sum()
        out[4] = b0.sum()
        for t in vectorCols..<cols {
            out[0].addProduct(x[t], w[t].float)
            out[4].addProduct(x[t], w1[t].float)
        }
        return out
    }

    /// One prefetch per 64-byte line of each row, `prefetchDistance` ahead (past a row's end it is
    /// the next pair's row, which is where the kernel goes next).
    @inline(__always)
    static func prefetchAhead<Element>(_ w: UnsafePointer<Element>, _ w1: UnsafePointer<Element>, _ c: Int) {
        let offset = c * MemoryLayout<Element>.stride
        guard offset & 63 == 0 else { return }
        cpu_prefetch_stream(UnsafeRawPointer(w) + offset + prefetchDistance)
        cpu_prefetch_stream(UnsafeRawPointer(w1) + offset + prefetchDistance)
    }

    @inline(__always)
    static func store(_ total: Float, _ out: UnsafeMutablePointer<Float>, accumulate: Bool, scale: Float) {
        out.pointee = accumulate ? out.pointee + scale * total : scale * total
    }
}

/// A weight element the streaming kernels read 8 at a time as fp32: Float itself, or UInt16 holding
/// bf16 bits (the high half of an fp32), which widens exactly with a shift.
protocol StreamedWeight {
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Float>
    var float: Float { get }
}

extension Float: StreamedWeight {
    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { VectorMath.load(p) }
    @inline(__always) var float: Float { self }
}

extension UInt16: StreamedWeight {
    @inline(__always) static func load8(_ p: UnsafePointer<UInt16>) -> SIMD8<Float> {
        let half = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always) var float: Float { bf16ToFloat(self) }
}
