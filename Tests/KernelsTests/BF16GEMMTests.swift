import TestSupport
import XCTest
@testable import Kernels

/// The bf16 product against a scalar reference: the same bf16-rounded inputs, sums in Double. Every result
/// must lie within fp32 accumulation's bound, k·2⁻²³·Σ|aᵢbᵢ| (plus one rounding of the output), on every
/// shape and orientation the engines use, ragged row counts and 1-8 rows, for oneDNN's kernel (its fast one where
/// this CPU has bf16 instructions, its own emulation of them elsewhere on AVX-512) and for our emulation (everywhere).
final class BF16GEMMTests: XCTestCase {
    override func tearDown() {
        BF16GEMM.use(BF16GEMM.detectedImplementation)
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)
    }

    func testRoundingIsNearestEvenAsTorchAndWideningIsExact() {
        XCTAssertEqual(BFloat16.bits(1), 0x3f80)
        XCTAssertEqual(BFloat16.bits(Float(bitPattern: 0x3f80_8000)), 0x3f80, "a tie rounds to the even neighbour")
        XCTAssertEqual(BFloat16.bits(Float(bitPattern: 0x3f81_8000)), 0x3f82, "a tie rounds to the even neighbour")
        XCTAssertEqual(BFloat16.bits(Float(bitPattern: 0x3f80_8001)), 0x3f81)
        XCTAssertEqual(BFloat16.bits(-Float(bitPattern: 0x3f80_7fff)), 0xbf80)
        XCTAssertEqual(BFloat16.bits(.infinity), 0x7f80)
        XCTAssertEqual(BFloat16.bits(Float(bitPattern: 0x7f7f_ffff)), 0x7f80, "the largest float rounds to infinity")
        XCTAssertTrue(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        XCTAssertTrue(BFloat16.float(BFloat16.bits(Float(bitPattern: 0x7f80_0001))).isNaN, "a NaN with low payload stays NaN")
        for bits: UInt16 in [0, 0x8000, 0x0001, 0x3f80, 0xc2f7, 0x7f7f] {
            XCTAssertEqual(BFloat16.bits(BFloat16.float(bits)), bits)
        }
    }

    func testProductsLieWithinFP32AccumulationBoundsOfTheScalarReference() {
        var random = SplitMix64(seed: 31)
        // (m, k, n): 1-8 rows (decoding), ragged counts, T5 widths (d_model 768 → d_ff 2048 and back).
        let shapes = [(1, 64, 96), (2, 80, 48), (3, 768, 96), (5, 96, 300), (8, 768, 2048), (8, 2048, 40), (17, 33, 65),
                      (63, 96, 80), (255, 64, 130), (300, 100, 48), (41, 768, 2048), (37, 2048, 768)]
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            for (m, k, n) in shapes {
                for transposeB in [true, false] {
                    // accumulation and scaling on the small shapes (the debug-built reference is slow)
                    let variants: [(Bool, Float)] = m * k * n > 1 << 20 ? [(false, 1)] : [(false, 1), (true, 1), (false, 0.5)]
                    for (accumulate, alpha) in variants {
                        let ldc = n + 3  // output rows inside wider rows, as the attention heads are
                        let a = random.array(m * k, scale: 3), b = random.array(k * n).map(BFloat16.bits)
                        let initial = random.array(m * ldc)
                        var c = initial
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                c.withUnsafeMutableBufferPointer { c in
                                    BF16GEMM.matmul(a.baseAddress!, lda: k, b.baseAddress!, ldb: transposeB ? k : n,
                                                    c.baseAddress!, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB,
                                                    alpha: alpha, accumulate: accumulate)
                                }
                            }
                        }
                        let worst = worstAccumulationError(
                            a: a.map { Double(BFloat16.rounded($0)) }, lda: k, b: b.map { Double(BFloat16.float($0)) },
                            transposeB: transposeB, c: c, initial: initial, ldc: ldc, m: m, k: k, n: n, alpha: alpha,
                            accumulate: accumulate)
                        XCTAssertLessThanOrEqual(worst, 1, "\(implementation) m \(m) k \(k) n \(n) transposeB \(transposeB) accumulate \(accumulate) alpha \(alpha)")
                    }
                }
            }
        }
    }

    /// Rounding the input is part of the product: an input between two bf16 values gives the product of the
    /// rounded one, on every implementation (a kernel fed fp32 would not).
    func testInputIsRoundedToBF16() {
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            let k = 64, n = 32
            let a = [Float](repeating: Float(bitPattern: 0x3f80_7fff), count: k)  // just below 1 + 2⁻⁸: rounds to 1
            let b = [UInt16](repeating: 0x3f80, count: k * n)
            var c = [Float](repeating: 0, count: n)
            BF16GEMM.matmul(a, lda: k, b, ldb: k, &c, ldc: n, m: 1, k: k, n: n, transposeB: true)
            XCTAssertEqual(c, [Float](repeating: Float(k), count: n), "\(implementation)")
        }
    }

    /// Each implementation rounds its input exactly as BFloat16.bits does (oneDNN's path rounds 16 lanes at a
    /// time in C): times an identity weight, every output is its input's rounding, ties included.
    func testEveryImplementationRoundsLikeBFloat16Bits() {
        var random = SplitMix64(seed: 3)
        let k = 40  // two 16-lane blocks and a scalar tail
        var a = random.array(k, scale: 100)
        for (i, bits) in [UInt32(0x3f80_8000), 0x3f81_8000, 0xbf80_8000, 0x4049_0fdb, 0x7f7f_0000, 0x0080_0000].enumerated() {
            a[5 * i + 3] = Float(bitPattern: bits)
        }
        var identity = [UInt16](repeating: 0, count: k * k)
        for i in 0..<k { identity[i * k + i] = 0x3f80 }
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            var c = [Float](repeating: .nan, count: k)
            BF16GEMM.matmul(a, lda: k, identity, ldb: k, &c, ldc: k, m: 1, k: k, n: k, transposeB: true)
            XCTAssertEqual(c.map(\.bitPattern), a.map { BFloat16.rounded($0).bitPattern }, "\(implementation)")
        }
    }

    /// Same inputs, implementation and thread count: the same bits (the pieces are a function of the shape).
    func testRepeatedProductsAreBitIdentical() {
        var random = SplitMix64(seed: 7)
        let (m, k, n) = (300, 768, 200)
        let a = random.array(m * k), b = random.array(n * k).map(BFloat16.bits)
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            for threads in [1, 2] {
                Parallel.setThreads(threads)
                var first = [Float](repeating: 0, count: m * n), second = first
                BF16GEMM.matmul(a, lda: k, b, ldb: k, &first, ldc: n, m: m, k: k, n: n, transposeB: true)
                BF16GEMM.matmul(a, lda: k, b, ldb: k, &second, ldc: n, m: m, k: k, n: n, transposeB: true)
                XCTAssertEqual(first.map(\.bitPattern), second.map(\.bitPattern), "\(implementation), \(threads) threads")
            }
        }
    }

    /// oneDNN where the CPU has bf16 instructions, oneDNN may use them and they outrun the fp32 ones, the emulation
    /// elsewhere (also where oneDNN is held below them, as `make test`'s second pass does).
    func testImplementationFollowsTheCPUsFeatures() {
        let features = BF16GEMM.cpuFeatures
        let cpuinfo = CPUFlags.cpuinfo ?? [], mayUse = CPUFlags.oneDNNMayUse ?? []
        let hasInstructions = cpuinfo.contains("avx512_bf16") || cpuinfo.contains("amx_bf16")
        if CPUFlags.cpuinfo != nil {
            XCTAssertEqual(features == "none", !hasInstructions, features)
            XCTAssertEqual(BF16GEMM.dotProductOverFMA != nil, cpuinfo.contains("avx512_bf16"), "the dot product is timed where it exists")
        }
        let override = ProcessInfo.processInfo.environment["FLANLORA_BF16_PRODUCT"]
        if override == "emulated" {
            XCTAssertNil(BF16GEMM.oneDNNImplementation, "FLANLORA_BF16_PRODUCT=emulated must force the emulation")
            XCTAssertEqual(BF16GEMM.implementation, .emulated)
        } else if mayUse.contains("amx_bf16") || (mayUse.contains("avx512_bf16") && (override == "onednn" || BF16GEMM.dotProductOverFMA! >= 1)) {
            XCTAssertNotNil(BF16GEMM.oneDNNImplementation, "a CPU whose bf16 instructions pay must get oneDNN's kernels")
        } else if mayUse.contains("avx512_bf16") {
            XCTAssertNil(BF16GEMM.oneDNNImplementation, "where the dot product is slower than the fp32 FMA, the emulation runs")
            guard case .emulatedFrom(let rows, let kernel) = BF16GEMM.detectedImplementation else {
                return XCTFail("many rows on the emulation, few on oneDNN's kernel: \(BF16GEMM.detectedImplementation)")
            }
            XCTAssertEqual(rows, BF16GEMM.emulationMinimumRows)
            XCTAssertEqual(BF16GEMM.runnableImplementations.last, .oneDNN(kernel))
            XCTAssertTrue(BF16GEMM.description.contains("fewer multiply-adds"), BF16GEMM.description)
        } else if CPUFlags.cpuinfo != nil {
            XCTAssertNil(BF16GEMM.oneDNNImplementation, "without bf16 instructions oneDNN may use, the emulation runs")
        }
        XCTAssertFalse(BF16GEMM.description.isEmpty)
        if BF16GEMM.oneDNNImplementation == nil {
            XCTAssertTrue(BF16GEMM.description.contains(F32GEMM.description), "the emulation names the fp32 products it runs on")
        }
        if CPUFlags.oneDNNMayUseAVX512 {
            XCTAssertEqual(BF16GEMM.runnableImplementations.count, 2, "oneDNN has a bf16 kernel for every AVX-512 CPU: its path runs in the tests")
        }
    }

    /// The rule itself, on the CPUs this project meets: AMX always pays; AVX512_BF16 only where its dot product
    /// outruns the fp32 FMA (asked only then); oneDNN's stand-in kernels never; the override wins.
    func testTheChoiceFollowsTheMeasuredRateOfTheDotProduct() {
        var asked = 0
        func choose(_ features: String, _ kernel: String, _ ratio: Double?, _ override: String? = nil) -> BF16GEMM.Implementation {
            BF16GEMM.choose(features: features, kernel: kernel, version: "2.6.3", dotOverFMA: { asked += 1; return ratio },
                            override: override).implementation
        }
        XCTAssertEqual(choose("AVX512_BF16", "brg:avx512_core_bf16", 2.0), .oneDNN("brg:avx512_core_bf16"), "a Zen 4")
        XCTAssertEqual(choose("AVX512_BF16", "brg:avx512_core_bf16", 0.49),
                       .emulatedFrom(rows: BF16GEMM.emulationMinimumRows, below: "brg:avx512_core_bf16"),
                       "an Emerald Rapids Xeon without AMX: few rows still on the bf16 kernel")
        XCTAssertEqual(asked, 2)
        XCTAssertEqual(choose("AVX512_BF16 AMX-BF16", "brg:avx512_core_amx", 0.49), .oneDNN("brg:avx512_core_amx"), "AMX")
        XCTAssertEqual(choose("none", "gemm:jit", nil), .emulated, "no bf16 instructions")
        XCTAssertEqual(choose("AVX512_BF16", "gemm:jit", 2.0), .emulated, "oneDNN held below its bf16 kernels")
        XCTAssertEqual(choose("AVX512_BF16", "ref:any", 2.0), .emulated, "only reference kernels")
        XCTAssertEqual(choose("AVX512_BF16", "", 2.0), .emulated, "no kernel")
        XCTAssertEqual(asked, 2, "the rate is timed only where it decides")
        XCTAssertEqual(choose("AVX512_BF16", "brg:avx512_core_bf16", 0.49, "onednn"), .oneDNN("brg:avx512_core_bf16"))
        XCTAssertEqual(choose("AVX512_BF16", "brg:avx512_core_bf16", 2.0, "emulated"), .emulated)
        let reason = BF16GEMM.choose(features: "AVX512_BF16", kernel: "gemm:jit", version: "2.6.3", dotOverFMA: { nil },
                                     override: nil).reason
        XCTAssertEqual(reason, "oneDNN 2.6.3 offers no kernel with bf16 instructions here (gemm:jit)")
    }

    /// The split implementation runs fewer rows than its threshold on oneDNN's kernel and the rest on the emulation,
    /// bit for bit as each alone (where this machine has a oneDNN bf16 kernel to split with).
    func testTheSplitImplementationDispatchesByRows() {
        guard case .oneDNN(let kernel)? = BF16GEMM.runnableImplementations.last else { return }
        var random = SplitMix64(seed: 11)
        let (k, n) = (768, 200)
        let b = random.array(n * k).map(BFloat16.bits)
        for m in [4, 5, 9] {
            let a = random.array(m * k)
            func product(_ implementation: BF16GEMM.Implementation) -> [UInt32] {
                BF16GEMM.use(implementation)
                var c = [Float](repeating: 0, count: m * n)
                BF16GEMM.matmul(a, lda: k, b, ldb: k, &c, ldc: n, m: m, k: k, n: n, transposeB: true)
                return c.map(\.bitPattern)
            }
            XCTAssertNotEqual(product(.oneDNN(kernel)), product(.emulated), "the two sum in other orders, so the test can tell")
            let split = product(.emulatedFrom(rows: 5, below: kernel))
            XCTAssertEqual(split, product(m < 5 ? .oneDNN(kernel) : .emulated), "\(m) rows")
        }
    }
}
