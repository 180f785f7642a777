// Row-major matrix products over cblas_sgemm, with shapes spelled out at each call.
import COpenBLAS

public enum GEMM {
    /// C[m,n] = alpha · op(A)·op(B) + beta · C, all row-major.
    /// op(A) is A[m,k] or, with `transposeA`, Aᵀ where A is stored [k,m]; likewise B is [k,n] or stored [n,k].
    @inline(__always)
    public static func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false,
                              alpha: Float = 1, beta: Float = 0) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// Strided variant for attention heads packed inside wider rows (leading dimensions given).
    @inline(__always)
    public static func matmul(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int,
                              transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
