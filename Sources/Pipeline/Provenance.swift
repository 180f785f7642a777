import Foundation
import JSON
import Kernels

/// What manifests record about where and with what a result was made.
public enum Provenance {
    /// This process's peak resident memory so far (getrusage's ru_maxrss, kilobytes on Linux), or nil. A stage's
    /// manifest records it when the stage computed: the memory cost a sweep puts beside the scores (rank 0's alone
    /// under mpirun).
    public static var peakResidentBytes: Int? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024
    }

    public static let toolVersion = "0.1.0"

    public static var host: JSONValue {
        let info = ProcessInfo.processInfo
        return ["hostname": .string(info.hostName), "cpus": .int(info.activeProcessorCount),
                "os": .string(info.operatingSystemVersionString),
                "memory_bytes": .int(Int(clamping: info.physicalMemory)), "blas": blas, "bf16": bf16,
                "f32_product": .string(F32GEMM.description)]
    }

    /// The CPU's bf16 instructions and what runs the bf16 mode's products on them (oneDNN's kernel, or the
    /// emulation on `f32_product`'s library): bf16 results are reproducible for the same implementation and thread count.
    public static var bf16: JSONValue {
        ["cpu_features": .string(BF16GEMM.cpuFeatures), "product": .string(BF16GEMM.description)]
    }

    /// Which OpenBLAS and which of its kernels did the dense math (the fp32 mode's frozen products run on
    /// `f32_product`: oneDNN's AVX-512 kernels where it has them, else this OpenBLAS): results are reproducible for the same
    /// kernels and thread count (docs/ARCHITECTURE.md).
    public static var blas: JSONValue {
        ["config": .string(BLASLibrary.configuration), "core": .string(BLASLibrary.coreName),
         "core_choice": .string(BLASLibrary.coreChoice)]
    }

    /// `git rev-parse HEAD`, with "-dirty" when the work tree has changes; nil outside git.
    public static func gitCommit(root: URL) -> String? {
        guard let head = run(["git", "-C", root.path, "rev-parse", "HEAD"]) else { return nil }
        let status = run(["git", "-C", root.path, "status", "--porcelain", "--untracked-files=no"]) ?? ""
        return head + (status.isEmpty ? "" : "-dirty")
    }

    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func run(_ argv: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
