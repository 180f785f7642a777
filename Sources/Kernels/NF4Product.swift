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
        guard !BF16GEMM.emulates(rows: m) else {
            // the emulation's numbers: each tile dequantized straight to the fp32 values of its bf16s
            return BF16GEMM.emulated(x, lda: w.cols, y, ldc: w.rows, m: m, out: w.rows, in: w.cols, transposeB: true,
                                     alpha: scale, accumulate: accumulate) { start, rows, tile in
                w.dequantizeRounded((start * w.cols)..<((start + rows) * w.cols), into: tile)
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
        guard !BF16GEMM.emulates(rows: m) else {
            return BF16GEMM.emulated(dy, lda: w.rows, dx, ldc: w.cols, m: m, out: w.rows, in: w.cols, transposeB: false,
                                     alpha: scale, accumulate: accumulate) { start, rows, tile in
                w.dequantizeRounded((start * w.cols)..<((start + rows) * w.cols), into: tile)
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

    /// Runs `body` with a bf16 scratch buffer of at least `count` values from the pool (ScratchPool).
    public static func withTile(_ count: Int, _ body: (UnsafeMutablePointer<UInt16>) -> Void) {
        ScratchPool.with(count, of: UInt16.self, body)
    }
}
