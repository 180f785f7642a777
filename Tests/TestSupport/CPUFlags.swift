// The CPU features the product libraries may use: /proc/cpuinfo's flags, less those above the ceiling a
// user (or `make test`'s second pass) sets for oneDNN with ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA. The
// tests of which implementation runs read these, so they hold when an AVX-512 machine runs the suite as a
// CPU without AVX-512 (or without bf16 instructions) would.
import Foundation

public enum CPUFlags {
    /// /proc/cpuinfo's first "flags" line (nil where there is none).
    public static let cpuinfo: Set<String>? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(line.split(separator: " ").map(String.init))
    }()

    /// The ceiling oneDNN was given, upper-cased (e.g. "AVX2"), nil when none.
    public static let oneDNNCeiling: String? = {
        let environment = ProcessInfo.processInfo.environment
        let value = environment["ONEDNN_MAX_CPU_ISA"] ?? environment["DNNL_MAX_CPU_ISA"]
        return value.map { $0.uppercased() }.flatMap { $0.isEmpty || $0 == "ALL" ? nil : $0 }
    }()

    /// The flags oneDNN may use under its ceiling: without AVX-512 below AVX512_CORE, without AVX512_BF16
    /// below AVX512_CORE_BF16, without AMX below AVX512_CORE_AMX (oneDNN 2.6's names).
    public static var oneDNNMayUse: Set<String>? {
        guard let flags = cpuinfo else { return nil }
        guard let ceiling = oneDNNCeiling else { return flags }
        return flags.filter { flag in
            if flag.hasPrefix("amx") { return ceiling.hasPrefix("AVX512_CORE_AMX") }
            if flag == "avx512_bf16" { return ceiling.hasPrefix("AVX512_CORE_BF16") || ceiling.hasPrefix("AVX512_CORE_AMX") }
            if flag.hasPrefix("avx512") { return ceiling.hasPrefix("AVX512") }
            return true
        }
    }

    /// Whether oneDNN may use AVX-512 (F, BW, VL and DQ: its avx512_core).
    public static var oneDNNMayUseAVX512: Bool {
        guard let flags = oneDNNMayUse else { return false }
        return ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
    }
}
