import Foundation
import TestSupport
import XCTest

/// The `tokenize` executable, run as a user runs it.
final class TokenizeCommandTests: XCTestCase {
    private var executable: URL { get throws { try BuiltProducts.executable("tokenize") } }

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

    /// A model folder holding `model` as its spiece.model, as `--model` takes it (removed after the test).
    private func modelFolder(_ model: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenize-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path(model), toPath: folder.appendingPathComponent("spiece.model").path)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func testEncodeAndDecodeLines() throws {
        let model = try modelFolder("t5.model").path
        let lines = Array(try Fixtures.byteLines("corpus.txt").prefix(200))
        let expected = try Fixtures.lines("t5.ids").prefix(200).joined(separator: "\n") + "\n"
        let encoded = try run(["encode", "--model", model], stdin: Array(lines.joined(separator: [0x0A])) + [0x0A])
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        XCTAssertEqual(encoded.stdout, expected)
        // the one settings line: which tokenizer
        XCTAssertEqual(encoded.stderr, "tokenize: \(model)/spiece.model: vocabulary 32000\n")

        let decoded = try run(["decode", "--model", model, "--quiet"], stdin: Array("8774 296 1\n\n2\n".utf8))
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout, "Hello world\n\n \u{2047} \n")
        XCTAssertEqual(decoded.stderr, "")

        let pieces = try run(["encode", "--model", model, "--pieces", "--quiet"], stdin: Array("Hello world!\n".utf8))
        XCTAssertEqual(pieces.stdout, "\u{2581}Hello \u{2581}world !\n")
    }

    /// A spiece.model file given to --model is the old spelling: it still works, after one notice.
    func testASpieceModelFileIsTheDeprecatedSpelling() throws {
        let file = Fixtures.path("t5.model")
        let old = try run(["encode", "--model", file, "--quiet"], stdin: Array("Hello world!\n".utf8))
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(old.stderr, "tokenize: warning: tokenize --model <spiece.model file> is deprecated; use --model <model folder>\n")
        let new = try run(["encode", "--model", try modelFolder("t5.model").path, "--quiet"], stdin: Array("Hello world!\n".utf8))
        XCTAssertEqual(old.stdout, new.stdout)
        XCTAssertEqual(new.stderr, "")
    }

    func testBadInputsGiveOneLineAndTheDocumentedExitCode() throws {
        // The small model: debug builds load it in a blink.
        let model = try modelFolder("identity.model").path
        let missing = try run(["encode", "--model", "/nonexistent/model"], stdin: [])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "tokenize: error: /nonexistent/model: no such model folder\n")

        // A folder without spiece.model: one line naming the file it needs (it was "NSCocoaErrorDomain error 256"
        // for a folder given where a file was read).
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("tokenize-empty-\(getpid())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let noModel = try run(["encode", "--model", empty.path], stdin: [])
        XCTAssertEqual(noModel.status, 66, noModel.stderr)
        XCTAssertEqual(noModel.stderr.split(separator: "\n").count, 1, noModel.stderr)
        XCTAssertTrue(noModel.stderr.hasPrefix("tokenize: error: \(empty.path)/spiece.model: "), noModel.stderr)
        XCTAssertFalse(noModel.stderr.contains("NSCocoaErrorDomain"), noModel.stderr)
        // spiece.model itself a folder
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("spiece.model"), withIntermediateDirectories: true)
        let folderAsFile = try run(["encode", "--model", empty.path], stdin: [])
        XCTAssertEqual(folderAsFile.stderr, "tokenize: error: \(empty.path)/spiece.model: is a folder, not a file\n")
        XCTAssertEqual(folderAsFile.status, 66)

        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("spm-corrupt-\(getpid())")
        try FileManager.default.createDirectory(at: corrupt, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        let corruptPath = corrupt.appendingPathComponent("spiece.model")
        try Data(try Fixtures.bytes("identity.model").prefix(1003)).write(to: corruptPath)
        let bad = try run(["encode", "--model", corrupt.path], stdin: Array("hi\n".utf8))
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains(corruptPath.path), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)

        let badIds = try run(["decode", "--model", model, "--quiet"], stdin: Array("1 2 x\n".utf8))
        XCTAssertEqual(badIds.status, 65)
        XCTAssertTrue(badIds.stderr.contains("line 1"), badIds.stderr)

        let outOfRange = try run(["decode", "--model", model, "--quiet"], stdin: Array("40000\n".utf8))
        XCTAssertEqual(outOfRange.status, 65)

        let usage = try run(["encode"], stdin: [])
        XCTAssertEqual(usage.status, 64)
        XCTAssertEqual(usage.stderr, "tokenize: error: missing expected argument '--model <folder>' (see tokenize --help)\n")
    }
}
