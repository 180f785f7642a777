// How a product handed to oneDNN is cut for Parallel's workers (BF16GEMM, F32GEMM): pieces of rows (or,
// for a few rows, of columns), a whole number of 16-row tiles each, at most `maximumRows` rows, as many as
// there are workers or a multiple of that so the workers get equal shares. Each piece runs on one worker
// with one oneDNN thread; the cut depends on the shape and the thread count alone, so results are
// reproducible for a CPU kind and thread count.
import CDNNL
import Foundation

enum ProductPieces {
    /// Rows per piece at most: beyond this oneDNN's kernels got slower on the 2-core Zen 4 (the fp32
    /// output block leaves the caches), measured with 128-1244-row pieces of T5-base products.
    static let maximumRows = 256

    /// C[m, n] (+)= alpha · A · op(B) through `product`, one call per piece on Parallel's workers: `product`
    /// gets the piece's row and column counts and where its A rows, B rows or columns and C block start, and
    /// returns oneDNN's status (non-zero: one line and exit 70, `InternalFailure`). A [m, k] (lda); B [k, n] (ldb) or, with `transposeB`,
    /// stored [n, k].
    static func run<Element>(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Element>, ldb: Int,
                             _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, transposeB: Bool,
                             _ product: (_ rows: Int, _ columns: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Element>,
                                         _ c: UnsafeMutablePointer<Float>) -> Int32) {
        forEach(m: m, k: k, n: n) { rows, columns in
            let bPiece = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
            let status = product(rows.count, columns.count, a + rows.lowerBound * lda, bPiece,
                                 c + rows.lowerBound * ldc + columns.lowerBound)
            if status != 0 { InternalFailure.exit(String(cString: dnnl_last_error())) }
        }
    }

    /// Calls `piece(rows, columns)` once per piece of the [m, n] output, on Parallel's workers.
    private static func forEach(m: Int, k: Int, n: Int, _ piece: (Range<Int>, Range<Int>) -> Void) {
        let workers = Parallel.isInsideWorker || m * n * k < GEMM.parallelMinimumWork ? 1 : Parallel.threads
        let alongRows = m >= 64 || m * 4 >= n
        let extent = alongRows ? m : n
        let granule = alongRows ? 16 : 64
        var pieces = alongRows ? max(workers, (m + maximumRows - 1) / maximumRows) : workers
        pieces = (pieces + workers - 1) / workers * workers
        let step = max(granule, ((extent + pieces - 1) / pieces + granule - 1) / granule * granule)
        let count = (extent + step - 1) / step
        // Claimed, not dealt: a piece writes only its own block of C, so which worker runs it changes nothing,
        // and a worker slowed by another process takes fewer pieces instead of holding up the other.
        Parallel.forEachClaimedTask(Array(0..<count)) { index, _ in
            let start = index * step, range = start..<min(start + step, extent)
            if alongRows { piece(range, 0..<n) } else { piece(0..<m, range) }
        }
    }
}
