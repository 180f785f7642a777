// The fp32 mode's products with frozen weights, on whichever library is faster on this CPU: oneDNN's
// AVX-512 matmul ("brg:avx512_core") beat OpenBLAS's sgemm by 1-15% on every T5-base shape on a 2-core
// Zen 4 (scripts/bench/explore/onednn_vs_openblas.c, docs/BENCHMARKS.md), so it runs wherever oneDNN offers
// those kernels; elsewhere (AVX2-only CPUs, where that was not measured) OpenBLAS's sgemm, as before.
// The products are cut as BF16GEMM's (ProductPieces); results are reproducible for an implementation,
// a CPU kind and a thread count.
import CDNNL
import Foundation

public enum F32GEMM {
    public enum Implementation: Sendable, Equatable {
        /// oneDNN's fp32 matmul with the implementation it picked, e.g. "brg:avx512_core".
        case oneDNN(String)
        /// OpenBLAS's sgemm (GEMM).
        case openBLAS
    }

    /// The implementation the fp32 mode's frozen products run on. FLANLORA_F32_PRODUCT=openblas forces
    /// OpenBLAS (to compare the two on one machine); tests switch with `use`.
    nonisolated(unsafe) public private(set) static var implementation: Implementation = detected.implementation

    /// Runs the fp32 frozen products on `implementation` from now on.
    public static func use(_ implementation: Implementation) { self.implementation = implementation }

    /// The oneDNN kernel this CPU would get (nil where OpenBLAS is the faster choice), whatever `implementation` is.
    public static var oneDNNImplementation: String? {
        if case .oneDNN(let name) = detected.implementation { return name }
        return nil
    }

    /// What ran and why, for log lines and manifests, e.g. "oneDNN 2.6.3 brg:avx512_core".
    public static var description: String {
        switch implementation {
        case .oneDNN(let name): return "oneDNN \(detected.version) \(name)"
        case .openBLAS: return "OpenBLAS sgemm (\(detected.reason.isEmpty ? "chosen by use(_:)" : detected.reason))"
        }
    }

    private static let detected: (implementation: Implementation, version: String, reason: String) = {
        var buffer = [CChar](repeating: 0, count: 128)
        dnnl_library_version(&buffer, Int32(buffer.count))
        let version = String(cString: buffer)
        if ProcessInfo.processInfo.environment["FLANLORA_F32_PRODUCT"] == "openblas" {
            return (.openBLAS, version, "FLANLORA_F32_PRODUCT=openblas")
        }
        dnnl_f32_implementation(&buffer, Int32(buffer.count))
        let name = String(cString: buffer)
        // Only the AVX-512 kernels were measured faster than OpenBLAS.
        guard name.hasPrefix("brg:avx512") else {
            return (.openBLAS, version, "oneDNN \(version) offers \(name.isEmpty ? "no kernel" : name) here, not measured faster")
        }
        return (.oneDNN(name), version, "")
    }()

    /// C[m, n] = alpha · A · op(B) (+ C when `accumulate`), row-major with leading dimensions: A [m, k];
    /// B [k, n] or, with `transposeB`, stored [n, k] (a PyTorch weight W[out, in] for x·Wᵀ).
    public static func matmul(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, transposeB: Bool,
                              alpha: Float = 1, accumulate: Bool = false) {
        if m == 0 || n == 0 { return }
        guard case .oneDNN = implementation else {
            GEMM.matmul(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB,
                        alpha: alpha, beta: accumulate ? 1 : 0)
            return
        }
        ProductPieces.run(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB) { rows, columns, a, b, c in
            dnnl_f32_matmul(Int64(rows), Int64(k), Int64(columns), a, Int64(lda), b, Int64(ldb), transposeB ? 1 : 0, c,
                            Int64(ldc), alpha, accumulate ? 1 : 0)
        }
    }
}
