import Foundation
import XCTest

/// scripts/deps.sh, the step `make build`/`make test` and CI run before building.
final class DepsScriptTests: XCTestCase {
    func deps(path: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestProject.repoRoot.appendingPathComponent("scripts/deps.sh").path]
        p.environment = ["PATH": path, "HOME": NSTemporaryDirectory()]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The libraries this test binary was built against are there: nothing to do, nothing printed.
    func testSilentWhenTheLibrariesAreInstalled() throws {
        let r = try deps(path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout + r.stderr, "")
    }

    /// With no pkg-config, apt-get or sudo to be found, it cannot install: one line with the command, exit 1.
    func testPrintsTheCommandWhenItCannotInstall() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let r = try deps(path: empty.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("apt-get install -y libopenblas-dev libdnnl-dev libarchive-dev libopenmpi-dev openmpi-bin pkg-config"), r.stderr)
    }
}
