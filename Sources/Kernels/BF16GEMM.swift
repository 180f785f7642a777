// Products with bf16 weights, as the bf16 mode runs every frozen weight: the fp32 input is rounded to
// bf16, the sums are fp32 and so is the output. Where the CPU's bf16 instructions outrun its fp32 ones
// (AMX-BF16; AVX512_BF16 where its dot product does more multiply-adds a second than the fp32 FMA, as on a
// Zen 4) oneDNN's matmul does it at their rate (2.1-2.4× OpenBLAS sgemm on T5 shapes, Zen 4); elsewhere
// the same numerics run through the fp32 mode's products (F32GEMM: oneDNN's AVX-512 kernels, or OpenBLAS):
// the rounded input times the widened weight in fp32. That includes an Emerald Rapids Xeon without AMX,
// whose dot product does half the FMA's multiply-adds (BF16DotRate.c): there the emulation ran a training
// step 1.4× faster than oneDNN's bf16 kernel, which still wins below `emulationMinimumRows` rows. oneDNN's
// own bf16 kernel for CPUs without the instructions ("gemm:jit" on AVX-512 without AVX512_BF16) emulates
// them at about a quarter of our emulation's rate.
// As in GEMM, a product is cut into pieces by shape and thread count alone (ProductPieces), each run on
// one of Parallel's workers with one oneDNN thread, so results are reproducible for a CPU kind and thread count.
import CDNNL
import Foundation

public enum BF16GEMM {
    public enum Implementation: Sendable, Equatable {
        /// oneDNN's matmul with the implementation it picked, e.g. "brg:avx512_core_bf16".
        case oneDNN(String)
        /// F32GEMM on the bf16-rounded input and the widened weight (no bf16 kernel to use, or forced).
        case emulated
        /// The emulation for products of `rows` rows or more, oneDNN's `kernel` below: where the CPU's bf16 dot
        /// product is slower than its fp32 FMA, many rows are compute-bound and the emulation wins; a few are
        /// bound by reading the weight, which the bf16 kernel reads at half the size and without widening it.
        case emulatedFrom(rows: Int, below: String)
    }

    /// Where AVX512_BF16's dot product is the slower, the row count from which the emulation wins: on the Emerald
    /// Rapids Xeon (one thread, T5-base weights from memory, scripts/bench/explore/bf16_rows.c) oneDNN's bf16 kernel
    /// took 0.39× the emulation's time at 8 rows, 0.68-0.70× at 32, 0.92-0.93× at 64, 1.01-1.11× at 96, 1.32-1.47×
    /// at 256. Products of up to 16 rows in generation stream the weight instead (WeightKernels).
    public static let emulationMinimumRows = 96

    /// The implementation the bf16 mode runs on (`choose`): oneDNN when this CPU has bf16 instructions, oneDNN
    /// picks a kernel that uses them and they are the faster, else the emulation. FLANLORA_BF16_PRODUCT=emulated
    /// forces the emulation, =onednn oneDNN's kernel where it has one (to measure both on one CPU); tests switch
    /// with `use`.
    nonisolated(unsafe) public private(set) static var implementation: Implementation = detected.implementation

    /// Runs the bf16 products on `implementation` from now on (tests compare both on one machine).
    public static func use(_ implementation: Implementation) { self.implementation = implementation }

    /// What ran and why, for log lines and manifests, e.g.
    /// "oneDNN 2.6.3 brg:avx512_core_bf16 (AVX512_BF16)".
    public static var description: String {
        switch implementation {
        case .oneDNN(let name): return "oneDNN \(detected.version) \(name) (\(detected.features))"
        case .emulated: return "emulated: fp32 products on bf16-rounded inputs, \(F32GEMM.description) (\(detected.reason))"
        case .emulatedFrom(let rows, let kernel):
            return "emulated from \(rows) rows: fp32 products on bf16-rounded inputs, \(F32GEMM.description); below, oneDNN "
                + "\(detected.version) \(kernel) (\(detected.reason))"
        }
    }

    /// The CPU's bf16 features as CPUID reports them ("AVX512_BF16", "AVX512_BF16 AMX-BF16" or "none").
    public static var cpuFeatures: String { detected.features }

    /// The oneDNN kernel chosen for all of this CPU's products (nil where the emulation runs all or the many-row
    /// ones), whatever `implementation` is.
    public static var oneDNNImplementation: String? {
        if case .oneDNN(let name) = detected.implementation { return name }
        return nil
    }

    /// The implementation chosen for this CPU (and FLANLORA_BF16_PRODUCT), whatever `use` set since.
    public static var detectedImplementation: Implementation { detected.implementation }

    /// Every implementation this machine can run, the emulation first: oneDNN's kernel where the CPU has bf16
    /// instructions, and where it has none the kernel with which oneDNN emulates them (oneDNN 2.6: "gemm:jit"
    /// on AVX-512), slower than our emulation but the same code path as a bf16 CPU's, so the tests run that path
    /// on every machine where oneDNN has more than its reference kernels.
    public static let runnableImplementations: [Implementation] =
        [.emulated] + (oneDNNKernel.name.map { [.oneDNN($0)] } ?? [])

    /// The kernel oneDNN picks for a bf16 product on this CPU, nil when it has only its reference kernels ("ref:any",
    /// far slower than the emulation); `offered` is what it named ("" for none).
    private static let oneDNNKernel: (name: String?, offered: String) = {
        var buffer = [CChar](repeating: 0, count: 128)
        dnnl_bf16_implementation(&buffer, Int32(buffer.count))
        let offered = String(cString: buffer)
        return (offered.isEmpty || offered.hasPrefix("ref") ? nil : offered, offered)
    }()

    /// This core's multiply-adds per second with AVX512_BF16's dot product over those with the fp32 FMA, timed once
    /// (about 3 ms, BF16DotRate.c); nil where the CPU lacks AVX512_BF16. An Emerald Rapids Xeon without AMX: 0.35-0.50;
    /// a Zen 4, where oneDNN's bf16 kernel ran about twice its fp32 one, has not been timed by it yet.
    public static let dotProductOverFMA: Double? = {
        let ratio = cpu_bf16_dot_over_fma()
        return ratio > 0 ? ratio : nil
    }()

    /// The bf16 mode's implementation and, for the emulation, why: `features` as `cpuFeatures` reports them,
    /// `kernel` what oneDNN offers for a bf16 product ("" for none, "ref:…" for its reference kernels), `dotOverFMA`
    /// as `dotProductOverFMA` (asked only where it decides), `override` FLANLORA_BF16_PRODUCT. Only a kernel named
    /// for the instructions uses them: under a ceiling (ONEDNN_MAX_CPU_ISA=AVX512_CORE) a bf16 CPU gets "gemm:jit",
    /// oneDNN's own emulation, a quarter of ours.
    /// AMX's tiles outrun any fp32 product; AVX512_BF16's dot product only where it does more multiply-adds a second
    /// than the fp32 FMA (both kernels reach about the same share of their instruction's rate).
    static func choose(features: String, kernel: String, version: String, dotOverFMA: () -> Double?,
                       override: String?) -> (implementation: Implementation, reason: String) {
        if override == "emulated" { return (.emulated, "FLANLORA_BF16_PRODUCT=emulated") }
        guard features != "none" else { return (.emulated, "this CPU has no AVX512_BF16 or AMX-BF16") }
        guard !kernel.hasPrefix("ref"), kernel.contains("bf16") || kernel.contains("amx") else {
            return (.emulated, "oneDNN \(version) offers no kernel with bf16 instructions here (\(kernel.isEmpty ? "none" : kernel))")
        }
        if override == "onednn" || kernel.contains("amx") { return (.oneDNN(kernel), "") }
        guard let ratio = dotOverFMA(), ratio < 1 else { return (.oneDNN(kernel), "") }
        return (.emulatedFrom(rows: emulationMinimumRows, below: kernel),
                "AVX512_BF16's dot product does fewer multiply-adds a second than this CPU's fp32 FMA")
    }

    private static let detected: (implementation: Implementation, features: String, version: String, reason: String) = {
        var buffer = [CChar](repeating: 0, count: 128)
        let hasBF16 = dnnl_cpu_bf16_features(&buffer, Int32(buffer.count)) != 0
        let features = hasBF16 ? String(cString: buffer) : "none"
        dnnl_library_version(&buffer, Int32(buffer.count))
        let version = String(cString: buffer)
        let override = ProcessInfo.processInfo.environment["FLANLORA_BF16_PRODUCT"]
        let (implementation, reason) = choose(features: features, kernel: oneDNNKernel.offered, version: version,
                                              dotOverFMA: { dotProductOverFMA }, override: override)
        return (implementation, features, version, reason)
    }()

    /// Whether a product of `m` rows runs on the emulation (NF4Product, which fills its own tiles, follows the same split).
    public static func emulates(rows m: Int) -> Bool {
        switch implementation {
        case .oneDNN: return false
        case .emulated: return true
        case .emulatedFrom(let rows, _): return m >= rows
        }
    }

    /// C[m, n] = alpha · bf16(A) · op(B) (+ C when `accumulate`), row-major with leading dimensions.
    /// A is fp32 [m, k]; B is bf16 [k, n] or, with `transposeB`, stored [n, k] (a PyTorch weight W[out, in]
    /// for x·Wᵀ).
    public static func matmul(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<UInt16>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, transposeB: Bool,
                              alpha: Float = 1, accumulate: Bool = false) {
        if m == 0 || n == 0 { return }
        if emulates(rows: m) {
            emulatedProduct(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB,
                            alpha: alpha, accumulate: accumulate)
        } else {
            oneDNNProduct(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB,
                          alpha: alpha, accumulate: accumulate)
        }
    }

    static func oneDNNProduct(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<UInt16>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, transposeB: Bool,
                              alpha: Float, accumulate: Bool) {
        ProductPieces.run(a, lda: lda, b, ldb: ldb, c, ldc: ldc, m: m, k: k, n: n, transposeB: transposeB) { rows, columns, a, b, c in
            dnnl_bf16_matmul(Int64(rows), Int64(k), Int64(columns), a, Int64(lda), b, Int64(ldb), transposeB ? 1 : 0, c,
                             Int64(ldc), alpha, accumulate ? 1 : 0)
        }
    }

    /// Weight tiles of up to this many values are widened to fp32 at a time (8 MB).
    static let emulationTile = 1 << 21

    static func emulatedProduct(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<UInt16>, ldb: Int,
                                _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, transposeB: Bool,
                                alpha: Float, accumulate: Bool) {
        // B is the weight W[out, in]: stored [n, k] with `transposeB`, else [k, n]
        let inFeatures = transposeB ? k : n
        emulated(a, lda: lda, c, ldc: ldc, m: m, out: transposeB ? n : k, in: inFeatures, transposeB: transposeB,
                 alpha: alpha, accumulate: accumulate) { start, rows, tile in
            widen(b + start * ldb, ld: ldb, rows: rows, cols: inFeatures, into: tile)
        }
    }

    /// The emulation of a product with a weight W [out, in] that `fill(first row, rows, tile)` writes a tile of whole
    /// rows at a time as the fp32 values of bf16s (the bf16 mode widens its weight, the nf4 mode dequantizes):
    /// C (+)= alpha · bf16(A) · Wᵀ with `transposeB` (A [m, in]), else alpha · bf16(A) · W (A [m, out]), fp32 sums on
    /// F32GEMM. A tile holds at most `emulationTile` values: a block of C's columns for Wᵀ, a slice of the sum for W.
    static func emulated(_ a: UnsafePointer<Float>, lda: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int,
                         out: Int, in inFeatures: Int, transposeB: Bool, alpha: Float, accumulate: Bool,
                         fill: (_ first: Int, _ rows: Int, _ tile: UnsafeMutablePointer<Float>) -> Void) {
        let k = transposeB ? inFeatures : out
        ScratchPool.with(m * k, of: Float.self) { input in
            Parallel.forRanges(m, costPerItem: 4 * k) { rows in
                for row in rows { for t in 0..<k { input[row * k + t] = BFloat16.rounded(a[row * lda + t]) } }
            }
            let tileRows = max(1, min(out, emulationTile / max(inFeatures, 1)))
            ScratchPool.with(tileRows * inFeatures, of: Float.self) { tile in
                for start in stride(from: 0, to: out, by: tileRows) {
                    let rows = min(tileRows, out - start)
                    fill(start, rows, tile)
                    if transposeB {
                        F32GEMM.matmul(input, lda: k, tile, ldb: inFeatures, c + start, ldc: ldc, m: m, k: inFeatures,
                                       n: rows, transposeB: true, alpha: alpha, accumulate: accumulate)
                    } else {
                        F32GEMM.matmul(input + start, lda: k, tile, ldb: inFeatures, c, ldc: ldc, m: m, k: rows,
                                       n: inFeatures, transposeB: false, alpha: alpha, accumulate: accumulate || start > 0)
                    }
                }
            }
        }
    }

    private static func widen(_ b: UnsafePointer<UInt16>, ld: Int, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(rows, costPerItem: 2 * cols) { range in
            for row in range { for t in 0..<cols { out[row * cols + t] = BFloat16.float(b[row * ld + t]) } }
        }
    }
}
