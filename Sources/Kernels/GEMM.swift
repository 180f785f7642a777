// Row-major matrix products over cblas_sgemm, with shapes spelled out at each call.
// OpenBLAS runs single-threaded (see Parallel); a big product is cut into one block of C per worker,
// along the longer of its two dimensions, at fixed multiples of 16 so each block is a whole number of
// micro-kernel tiles. OpenBLAS's bits do depend on the cut (a 2048×768×768 product computed in 16- to
// 512-row pieces differs from the whole in up to a quarter of its elements, by a rounding), so the
// cut is a function of the shape and the thread count alone, and results are reproducible for both.
import COpenBLAS

public enum GEMM {
    /// Products below this many multiply-adds are not worth waking a second worker for.
    static let parallelMinimumWork = 1 << 18

    /// C[m,n] = alpha · op(A)·op(B) + beta · C, all row-major.
    /// op(A) is A[m,k] or, with `transposeA`, Aᵀ where A is stored [k,m]; likewise B is [k,n] or stored [n,k].
    @inline(__always)
    public static func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false,
                              alpha: Float = 1, beta: Float = 0) {
        matmul(a, lda: transposeA ? m : k, b, ldb: transposeB ? k : n, c, ldc: n, m: m, k: k, n: n,
               transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
    }

    /// Strided variant for attention heads packed inside wider rows (leading dimensions given).
    public static func matmul(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int,
                              transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0) {
        if m == 0 || n == 0 { return }
        _ = Parallel.blasSingleThreaded
        let workers = Parallel.threads
        guard workers > 1, m * n * k >= parallelMinimumWork, !Parallel.isInsideWorker else {
            serial(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeA: transposeA,
                   transposeB: transposeB, alpha: alpha, beta: beta)
            return
        }
        let alongRows = m >= n
        let extent = alongRows ? m : n
        let block = (extent + workers - 1) / workers
        let step = (block + 15) & ~15
        let pieces = (extent + step - 1) / step
        Parallel.forEachTask(pieces) { piece, _ in
            let start = piece * step, count = min(step, extent - start)
            if alongRows {
                // rows of op(A) and of C
                let aBlock = transposeA ? a + start : a + start * lda
                serial(aBlock, lda: lda, b, ldb: ldb, c + start * ldc, ldc: ldc, m: count, k: k, n: n,
                       transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            } else {
                // columns of op(B) and of C
                let bBlock = transposeB ? b + start * ldb : b + start
                serial(a, lda: lda, bBlock, ldb: ldb, c + start, ldc: ldc, m: m, k: k, n: count,
                       transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            }
        }
    }

    @inline(__always)
    static func serial(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                       _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int,
                       transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) {
        blas_sgemm(Int32(BLAS_ROW_MAJOR), Int32(transposeA ? BLAS_TRANS : BLAS_NO_TRANS), Int32(transposeB ? BLAS_TRANS : BLAS_NO_TRANS),
                   Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
