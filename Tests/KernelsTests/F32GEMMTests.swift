import TestSupport
import XCTest
@testable import Kernels

/// The fp32 mode's frozen products (F32GEMM) against a scalar reference with sums in Double: every result
/// within fp32 accumulation's bound, k·2⁻²³·Σ|aᵢbᵢ| (plus one rounding of the output), on the shapes and
/// orientations the engines use, ragged row counts and 1-8 rows, for OpenBLAS (everywhere) and oneDNN
/// (where this CPU gets its AVX-512 kernels).
final class F32GEMMTests: XCTestCase {
    override func tearDown() {
        F32GEMM.use(F32GEMM.oneDNNImplementation.map { .oneDNN($0) } ?? .openBLAS)
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)
    }

    var implementations: [F32GEMM.Implementation] {
        [.openBLAS] + (F32GEMM.oneDNNImplementation.map { [.oneDNN($0)] } ?? [])
    }

    func testProductsLieWithinFP32AccumulationBoundsOfTheScalarReference() {
        var random = SplitMix64(seed: 32)
        let shapes = [(1, 64, 96), (3, 768, 96), (5, 96, 300), (8, 768, 2048), (17, 33, 65), (63, 96, 80),
                      (255, 64, 130), (300, 100, 48), (41, 768, 2048), (37, 2048, 768)]
        for implementation in implementations {
            F32GEMM.use(implementation)
            for (m, k, n) in shapes {
                for transposeB in [true, false] {
                    let variants: [(Bool, Float)] = m * k * n > 1 << 20 ? [(false, 1)] : [(false, 1), (true, 1), (false, 0.5)]
                    for (accumulate, alpha) in variants {
                        let lda = k + 5, ldc = n + 3  // inputs and outputs inside wider rows
                        let a = random.array(m * lda, scale: 3), b = random.array(k * n)
                        let initial = random.array(m * ldc)
                        var c = initial
                        F32GEMM.matmul(a, lda: lda, b, ldb: transposeB ? k : n, &c, ldc: ldc, m: m, k: k, n: n,
                                       transposeB: transposeB, alpha: alpha, accumulate: accumulate)
                        let worst = worstAccumulationError(
                            a: a.map(Double.init), lda: lda, b: b.map(Double.init), transposeB: transposeB, c: c,
                            initial: initial, ldc: ldc, m: m, k: k, n: n, alpha: alpha, accumulate: accumulate)
                        XCTAssertLessThanOrEqual(worst, 1, "\(implementation) m \(m) k \(k) n \(n) transposeB \(transposeB) accumulate \(accumulate) alpha \(alpha)")
                    }
                }
            }
        }
    }

    /// Same inputs, implementation and thread count: the same bits (the pieces are a function of the shape).
    func testRepeatedProductsAreBitIdentical() {
        var random = SplitMix64(seed: 8)
        let (m, k, n) = (300, 768, 200)
        let a = random.array(m * k), b = random.array(n * k)
        for implementation in implementations {
            F32GEMM.use(implementation)
            for threads in [1, 2] {
                Parallel.setThreads(threads)
                var first = [Float](repeating: 0, count: m * n), second = first
                F32GEMM.matmul(a, lda: k, b, ldb: k, &first, ldc: n, m: m, k: k, n: n, transposeB: true)
                F32GEMM.matmul(a, lda: k, b, ldb: k, &second, ldc: n, m: m, k: k, n: n, transposeB: true)
                XCTAssertEqual(first.map(\.bitPattern), second.map(\.bitPattern), "\(implementation), \(threads) threads")
            }
        }
    }

    /// oneDNN where it offers its AVX-512 kernels (measured faster than OpenBLAS), OpenBLAS elsewhere or when forced
    /// (also where oneDNN is held below AVX-512, as `make test`'s second pass does).
    func testImplementationFollowsTheCPUsFeatures() {
        if ProcessInfo.processInfo.environment["FLANLORA_F32_PRODUCT"] == "openblas" {
            XCTAssertNil(F32GEMM.oneDNNImplementation, "FLANLORA_F32_PRODUCT=openblas must force OpenBLAS")
        } else if CPUFlags.oneDNNMayUseAVX512 {
            XCTAssertEqual(F32GEMM.oneDNNImplementation?.hasPrefix("brg:avx512"), true, "an AVX-512 CPU must get oneDNN's kernels")
        } else if CPUFlags.cpuinfo != nil {
            XCTAssertNil(F32GEMM.oneDNNImplementation, "without AVX-512 the fp32 products stay on OpenBLAS")
        }
        XCTAssertFalse(F32GEMM.description.isEmpty)
    }
}
