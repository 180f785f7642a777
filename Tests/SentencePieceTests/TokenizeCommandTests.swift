import Foundation
import XCTest

/// The `tokenize` executable (built next to the test bundle by `swift build --build-tests`).
final class TokenizeCommandTests: XCTestCase {
    private var executable: URL {
        get throws {
            let products = Bundle.allBundles.map(\.bundleURL).first { $0.pathExtension == "xctest" }?
                .deletingLastPathComponent() ?? Bundle.main.bundleURL
            let url = products.appendingPathComponent("tokenize")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "tokenize is not built at \(url.path) (run swift build --build-tests)"])
            }
            return url
        }
    }

    private func run(_ arguments: [String], stdin: [UInt8]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func testEncodeAndDecodeLines() throws {
        let model = Fixtures.path("t5.model")
        let lines = Array(try Fixtures.byteLines("corpus.txt").prefix(200))
        let expected = try Fixtures.lines("t5.ids").prefix(200).joined(separator: "\n") + "\n"
        let encoded = try run(["encode", "--model", model], stdin: Array(lines.joined(separator: [0x0A])) + [0x0A])
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        XCTAssertEqual(encoded.stdout, expected)

        let decoded = try run(["decode", "--model", model], stdin: Array("8774 296 1\n\n2\n".utf8))
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout, "Hello world\n\n \u{2047} \n")

        let pieces = try run(["encode", "--model", model, "--pieces"], stdin: Array("Hello world!\n".utf8))
        XCTAssertEqual(pieces.stdout, "\u{2581}Hello \u{2581}world !\n")
    }

    func testBadInputsGiveOneLineAndTheDocumentedExitCode() throws {
        // The small model: debug builds load it in a blink.
        let model = Fixtures.path("identity.model")
        let missing = try run(["encode", "--model", "/nonexistent/spiece.model"], stdin: [])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)

        let corruptPath = FileManager.default.temporaryDirectory.appendingPathComponent("spm-corrupt-\(getpid()).model")
        try Data(try Fixtures.bytes("identity.model").prefix(1003)).write(to: corruptPath)
        defer { try? FileManager.default.removeItem(at: corruptPath) }
        let corrupt = try run(["encode", "--model", corruptPath.path], stdin: Array("hi\n".utf8))
        XCTAssertEqual(corrupt.status, 65)
        XCTAssertTrue(corrupt.stderr.contains(corruptPath.path), corrupt.stderr)
        XCTAssertEqual(corrupt.stderr.split(separator: "\n").count, 1, corrupt.stderr)

        let badIds = try run(["decode", "--model", model], stdin: Array("1 2 x\n".utf8))
        XCTAssertEqual(badIds.status, 65)
        XCTAssertTrue(badIds.stderr.contains("line 1"), badIds.stderr)

        let outOfRange = try run(["decode", "--model", model], stdin: Array("40000\n".utf8))
        XCTAssertEqual(outOfRange.status, 65)

        let usage = try run(["encode"], stdin: [])
        XCTAssertEqual(usage.status, 64)
    }
}
