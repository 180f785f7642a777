// Products with an NF4 weight, as bitsandbytes computes them with compute dtype bf16: the weight dequantized
// to bf16 and multiplied by the bf16-rounded input with fp32 sums (BF16GEMM: oneDNN's bf16 kernels where the
// CPU has them). The weight is dequantized a tile of rows at a time into a scratch buffer of at most
// `tileValues` (4 MB), so the 4-bit model never has a widened copy: for flan-t5-base every weight is one tile.

public enum NF4Product {
    static let tileValues = 1 << 21

    /// Rows of W per tile (whole rows; at least one).
    public static func tileRows(_ w: NF4Tensor) -> Int { max(1, min(w.rows, tileValues / max(w.cols, 1))) }

    /// y[m, out] (+)= scale · bf16(x)[m, in] · Wᵀ, W = `w` [out, in].
    public static func forward(_ x: UnsafePointer<Float>, weight w: NF4Tensor, _ y: UnsafeMutablePointer<Float>, m: Int,
                               accumulate: Bool = false, scale: Float = 1) {
        let tile = tileRows(w)
        withTile(tile * w.cols) { buffer in
            for start in stride(from: 0, to: w.rows, by: tile) {
                let rows = min(tile, w.rows - start)
                w.dequantize((start * w.cols)..<((start + rows) * w.cols), into: buffer)
                BF16GEMM.matmul(x, lda: w.cols, buffer, ldb: w.cols, y + start, ldc: w.rows, m: m, k: w.cols, n: rows,
                                transposeB: true, alpha: scale, accumulate: accumulate)
            }
        }
    }

    /// dx[m, in] (+)= scale · bf16(dy)[m, out] · W.
    public static func backwardInput(_ dy: UnsafePointer<Float>, weight w: NF4Tensor, _ dx: UnsafeMutablePointer<Float>, m: Int,
                                     accumulate: Bool = true, scale: Float = 1) {
        let tile = tileRows(w)
        withTile(tile * w.cols) { buffer in
            for start in stride(from: 0, to: w.rows, by: tile) {
                let rows = min(tile, w.rows - start)
                w.dequantize((start * w.cols)..<((start + rows) * w.cols), into: buffer)
                // the tile's rows of W are a slice of the sum over `out`
                BF16GEMM.matmul(dy + start, lda: w.rows, buffer, ldb: w.cols, dx, ldc: w.cols, m: m, k: rows, n: w.cols,
                                transposeB: false, alpha: scale, accumulate: accumulate || start > 0)
            }
        }
    }

    /// Runs `body` with a bf16 scratch buffer of `count` values.
    static func withTile(_ count: Int, _ body: (UnsafeMutablePointer<UInt16>) -> Void) {
        let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: max(count, 1))
        defer { buffer.deallocate() }
        body(buffer)
    }
}
