// Products with an NF4 weight, as bitsandbytes computes them with compute dtype bf16: the weight dequantized
// to bf16 and multiplied by the bf16-rounded input with fp32 sums (BF16GEMM: oneDNN's bf16 kernels where the
// CPU has them). The weight is dequantized a tile of rows at a time into a scratch buffer of at most
// `tileValues` (4 MB), so the 4-bit model never has a widened copy: for flan-t5-base every weight is one tile.
import Foundation

public enum NF4Product {
    static let tileValues = 1 << 21

    /// Rows of W per tile (whole rows; at least one).
    public static func tileRows(_ w: NF4Tensor) -> Int { max(1, min(w.rows, tileValues / max(w.cols, 1))) }

    /// y[m, out] (+)= scale · bf16(x)[m, in] · Wᵀ, W = `w` [out, in].
    public static func forward(_ x: UnsafePointer<Float>, weight w: NF4Tensor, _ y: UnsafeMutablePointer<Float>, m: Int,
                               accumulate: Bool = false, scale: Float = 1) {
        guard case .oneDNN = BF16GEMM.implementation else {
            // the emulation's numbers (BF16GEMM.emulatedProduct with its tiles): x rounded once, each tile dequantized
            // straight to the fp32 values of its bf16s, the fp32 product (F32GEMM)
            return withRounded(x, count: m * w.cols) { input in
                forEachFloatTile(w) { start, rows, tile in
                    F32GEMM.matmul(input, lda: w.cols, tile, ldb: w.cols, y + start, ldc: w.rows, m: m, k: w.cols, n: rows,
                                   transposeB: true, alpha: scale, accumulate: accumulate)
                }
            }
        }
        forEachTile(w) { start, rows, tile in
            BF16GEMM.matmul(x, lda: w.cols, tile, ldb: w.cols, y + start, ldc: w.rows, m: m, k: w.cols, n: rows,
                            transposeB: true, alpha: scale, accumulate: accumulate)
        }
    }

    /// dx[m, in] (+)= scale · bf16(dy)[m, out] · W: each tile's rows of W are a slice of the sum over `out`.
    public static func backwardInput(_ dy: UnsafePointer<Float>, weight w: NF4Tensor, _ dx: UnsafeMutablePointer<Float>, m: Int,
                                     accumulate: Bool = true, scale: Float = 1) {
        guard case .oneDNN = BF16GEMM.implementation else {
            return withRounded(dy, count: m * w.rows) { input in
                forEachFloatTile(w) { start, rows, tile in
                    F32GEMM.matmul(input + start, lda: w.rows, tile, ldb: w.cols, dx, ldc: w.cols, m: m, k: rows, n: w.cols,
                                   transposeB: false, alpha: scale, accumulate: accumulate || start > 0)
                }
            }
        }
        forEachTile(w) { start, rows, tile in
            BF16GEMM.matmul(dy + start, lda: w.rows, tile, ldb: w.cols, dx, ldc: w.cols, m: m, k: rows, n: w.cols,
                            transposeB: false, alpha: scale, accumulate: accumulate || start > 0)
        }
    }

    /// body(first row, rows, tile) for each tile of W's rows, dequantized to bf16.
    static func forEachTile(_ w: NF4Tensor, _ body: (Int, Int, UnsafeMutablePointer<UInt16>) -> Void) {
        let tile = tileRows(w)
        withTile(tile * w.cols) { buffer in
            for start in stride(from: 0, to: w.rows, by: tile) {
                let rows = min(tile, w.rows - start)
                w.dequantize((start * w.cols)..<((start + rows) * w.cols), into: buffer)
                body(start, rows, buffer)
            }
        }
    }

    /// body(first row, rows, tile) for each tile of W's rows, dequantized to the fp32 values of their bf16s (the
    /// tile's bytes twice a bf16 tile's, from the same pool).
    static func forEachFloatTile(_ w: NF4Tensor, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let tile = tileRows(w)
        withTile(2 * tile * w.cols) { bits in
            let buffer = UnsafeMutableRawPointer(bits).assumingMemoryBound(to: Float.self)
            for start in stride(from: 0, to: w.rows, by: tile) {
                let rows = min(tile, w.rows - start)
                w.dequantizeRounded((start * w.cols)..<((start + rows) * w.cols), into: buffer)
                body(start, rows, buffer)
            }
        }
    }

    /// body(`count` values of x rounded to bf16, kept as fp32), in a scratch buffer from the pool.
    static func withRounded(_ x: UnsafePointer<Float>, count: Int, _ body: (UnsafePointer<Float>) -> Void) {
        ScratchPool.with(count, of: Float.self) { buffer in
            BFloat16.round(x, into: buffer, count: count)
            body(buffer)
        }
    }

    /// Runs `body` with a bf16 scratch buffer of at least `count` values from the pool (ScratchPool).
    public static func withTile(_ count: Int, _ body: (UnsafeMutablePointer<UInt16>) -> Void) {
        ScratchPool.with(count, of: UInt16.self, body)
    }
}
