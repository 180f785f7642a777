import Failures
import Foundation
import JSON
import XCTest

/// The one JSON reader: what it accepts, what it refuses, and the one-line errors it gives.
final class JSONParserTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8), path: "f.json") }

    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return (error as? PipelineError)?.description ?? "not a PipelineError: \(error)" }
    }

    func testValuesKeepIntegersApartFromFloats() throws {
        XCTAssertEqual(try parse(#" {"a": [1, 32.0, -0.5e1, true, null, "x\u00e9\ud83d\ude00\n"]} "#),
                       .object(["a": .array([.int(1), .double(32), .double(-5), .bool(true), .null, .string("xé😀\n")])]))
        XCTAssertEqual(try parse("12345678901234567890"), .double(12345678901234567890))
    }

    func testSyntaxErrorsNameFileLineColumnAndReason() {
        XCTAssertEqual(message { _ = try parse("{\n  \"a\": ,\n}") },
                       "f.json: malformed JSON at line 2, column 8 (byte 9): expected a value")
        XCTAssertEqual(message { _ = try parse("[1] x") },
                       "f.json: malformed JSON at line 1, column 5 (byte 4): unexpected data after the value")
        XCTAssertEqual(message { _ = try parse("\"a\u{1}\"") },
                       "f.json: malformed JSON at line 1, column 3 (byte 2): raw control character 0x1 in a string (must be escaped)")
        XCTAssertEqual(message { _ = try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22]), path: "f.json") },
                       "f.json: malformed JSON at line 1, column 2 (byte 1): invalid UTF-8")
        XCTAssertEqual(message { _ = try parse("1e999") }, "f.json: malformed JSON at line 1, column 1 (byte 0): number out of range")
        for bad in ["01", "1.", "-", "tru", "[1,]", "{\"a\" 1}", "\"\\x\"", "\"\\u12\"", "\u{FEFF}{}"] {
            XCTAssertNotNil(message { _ = try parse(bad) }, bad)
        }
    }

    func testStrictParseRefusesDuplicateKeysAndLoneSurrogates() {
        XCTAssertEqual(message { _ = try parse(#"{"a": 1, "a": 2}"#) },
                       #"f.json: malformed JSON at line 1, column 10 (byte 9): duplicate key "a""#)
        XCTAssertEqual(message { _ = try parse(#""\ud800x""#) },
                       "f.json: malformed JSON at line 1, column 2 (byte 1): lone UTF-16 surrogate escape (not representable in UTF-8)")
    }

    func testDepthIsBounded() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertTrue(message { _ = try parse(deep) }?.contains("nesting deeper than 64 levels") ?? false)
        XCTAssertNoThrow(try JSONValue.parse(Data((String(repeating: "[", count: 63) + String(repeating: "]", count: 63)).utf8)))
    }

    func testArrayElementsAreVisitedWithTheirIrregularities() throws {
        var seen: [(Int, JSONValue, [JSONIrregularity])] = []
        let text = "\u{FEFF}[{\"id\": 1, \"id\": 2, \"x\": {\"y\": \"\\udc00\"}}, 3]"
        try JSONValue.forEachElement(ofArrayIn: Data(text.utf8)) { seen.append(($0, $1, $2)) }
        XCTAssertEqual(seen.map(\.0), [0, 1])
        XCTAssertEqual(seen[0].1, .object(["id": .int(2), "x": .object(["y": .string("\u{FFFD}")])]))
        XCTAssertEqual(seen[0].2, [JSONIrregularity(kind: .duplicateKey, keyPath: ["id"]),
                                   JSONIrregularity(kind: .loneSurrogate, keyPath: ["x", "y"])])
        XCTAssertEqual(seen[1].2, [])
        XCTAssertNotNil(message { try JSONValue.forEachElement(ofArrayIn: Data("{}".utf8), path: "f.json") { _, _, _ in } })
        XCTAssertEqual(message { try JSONValue.forEachElement(ofArrayIn: Data("[1 2]".utf8), path: "f.json") { _, _, _ in } },
                       "f.json: malformed JSON at line 1, column 4 (byte 3): expected ',' or ']' after element 0")
    }

    func testAVisitorErrorPassesThroughUnchanged() {
        struct Stop: Error {}
        XCTAssertThrowsError(try JSONValue.forEachElement(ofArrayIn: Data("[1, 2".utf8)) { _, _, _ in throw Stop() }) {
            XCTAssertTrue($0 is Stop)
        }
    }
}

final class JSONLinesTests: XCTestCase {
    func testRowsSkipBlankLinesAndErrorsNameTheLine() throws {
        let rows = try JSONLines.parse(Data("{\"a\":1}\n\n  \r\n[2]\n".utf8), path: "r.jsonl")
        XCTAssertEqual(rows.map(\.line), [1, 4])
        XCTAssertEqual(rows.map(\.value), [.object(["a": .int(1)]), .array([.int(2)])])
        XCTAssertThrowsError(try rows[1].object(path: "r.jsonl")) {
            XCTAssertEqual("\($0)", "r.jsonl: line 4: expected a JSON object, not an array")
        }
        XCTAssertThrowsError(try JSONLines.parse(Data("{}\n{\"a\":}\n".utf8), path: "r.jsonl")) {
            XCTAssertEqual("\($0)", "r.jsonl: line 2, column 6: malformed JSON: expected a value")
        }
        XCTAssertThrowsError(try JSONLines.parse(Data("{}\n{\"a\":1} 2\n".utf8), path: "r.jsonl")) {
            XCTAssertEqual("\($0)", "r.jsonl: line 2, column 9: malformed JSON: unexpected data after the value")
        }
    }

    func testFilesAreBoundedAndMissingFilesAreMissingInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jsonlines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.jsonl")
        try Data("{\"id\":\"1\",\"x\":\"é\"}\n".utf8).write(to: file)
        XCTAssertEqual(try JSONLines.readStringFields(contentsOf: file, required: ["id"]), [["id": "1", "x": "é"]])
        XCTAssertThrowsError(try JSONLines.read(contentsOf: file, maxBytes: 4)) {
            XCTAssertEqual(($0 as? PipelineError)?.status, .badInput)
        }
        XCTAssertThrowsError(try JSONLines.read(contentsOf: dir.appendingPathComponent("none.jsonl"))) {
            XCTAssertEqual($0 as? PipelineError, PipelineError.missingInput("no such file", path: dir.appendingPathComponent("none.jsonl").path))
        }
        XCTAssertThrowsError(try BoundedFile.read(dir, maxBytes: 1 << 20)) {
            XCTAssertEqual("\($0)", "\(dir.path): not a regular file")
        }
        let link = dir.appendingPathComponent("link.jsonl")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)
        XCTAssertEqual(try JSONLines.read(contentsOf: link).count, 1)
    }

    func testDuplicateUniqueFieldNamesBothLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jsonlines-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data((JSONLines.line([("id", "1")]) + JSONLines.line([("id", "1")])).utf8).write(to: dir)
        XCTAssertThrowsError(try JSONLines.readStringFields(contentsOf: dir, required: ["id"], unique: "id")) {
            XCTAssertTrue("\($0)".hasSuffix("line 2: duplicate id \"1\" (first on line 1)"), "\($0)")
        }
    }

    /// The bytes of Python's json.dumps(row, ensure_ascii=False, separators=(",", ":")).
    func testLinesAreWrittenAsPythonWritesThem() {
        XCTAssertEqual(JSONLines.line([("id", "a/b"), ("t", "é\u{7F}\u{2028}\t\u{1B}\u{08}\u{0C}\"\\")]),
                       "{\"id\":\"a/b\",\"t\":\"é\u{7F}\u{2028}\\t\\u001b\\b\\f\\\"\\\\\"}\n")
    }

    func testEveryStringSurvivesARoundTrip() throws {
        let strings = ["", "plain", "\u{0}\u{1F}\u{7F}", "é😀\u{10FFFF}", "\\\"/", "\r\n"]
        for escaping in [JSONValue.StringEscaping.minimal, .python] {
            for s in strings {
                var bytes: [UInt8] = []
                JSONValue.appendString(s, escaping: escaping, to: &bytes)
                XCTAssertEqual(try JSONValue.parse(Data(bytes)), .string(s), "\(escaping) \(s.debugDescription)")
                if escaping == .python { XCTAssertTrue(bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }) }
            }
        }
    }
}
