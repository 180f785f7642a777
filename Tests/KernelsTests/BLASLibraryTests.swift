// OpenBLAS is loaded at start with the kernels this CPU's features call for (unless the user chose).
import Foundation
import XCTest
import Kernels

final class BLASLibraryTests: XCTestCase {
    func testLoadedWithTheKernelsTheCPUFeaturesCallFor() throws {
        XCTAssertNil(BLASLibrary.loadError)
        XCTAssertTrue(BLASLibrary.configuration.hasPrefix("OpenBLAS"), BLASLibrary.configuration)
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? ""
        let (core, reason) = BLASLibrary.coreForThisCPU
        XCTAssertFalse(reason.isEmpty)
        if !user.isEmpty {
            XCTAssertEqual(BLASLibrary.coreName.lowercased(), user.lowercased())
            XCTAssertTrue(BLASLibrary.coreChoice.contains("set by the user"), BLASLibrary.coreChoice)
        } else if let core {
            XCTAssertEqual(BLASLibrary.coreName.lowercased(), core.lowercased(), BLASLibrary.coreChoice)
            XCTAssertTrue(BLASLibrary.coreChoice.contains(reason), BLASLibrary.coreChoice)
        } else {
            XCTAssertTrue(BLASLibrary.coreChoice.hasPrefix("OpenBLAS's own detection"), BLASLibrary.coreChoice)
        }
        // The loader's own settings do not leak into the environment of child processes.
        if user.isEmpty { XCTAssertNil(getenv("OPENBLAS_CORETYPE")) }
    }

    func testCPUFeaturesMatchTheChosenKernels() throws {
        #if arch(x86_64)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) }
        guard let flags else { throw XCTSkip("no /proc/cpuinfo") }
        let avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains)
        let expected: String? = avx512 ? (flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX")
            : flags.contains("avx2") && flags.contains("fma") ? nil : flags.contains("avx") ? "Sandybridge" : nil
        let core = BLASLibrary.coreForThisCPU.core
        if let expected { XCTAssertEqual(core, expected) }
        if !avx512 && flags.contains("avx2") && flags.contains("fma") { XCTAssertTrue(core == "Haswell" || core == "Zen", "\(core ?? "nil")") }
        #endif
    }
}
