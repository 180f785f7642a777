import Foundation
import JSON
import XCTest
@testable import Dataset

final class TokenFileTests: XCTestCase {
    func testRoundTripIsExactAndDeterministic() throws {
        let f = TokenFile(ids: ["a", "b/c", "é"], exampleIndex: [0, 12, 24],
                          sources: [[5, 6, 1], [], [7, 1]], labels: [[1], [9, 9, 1], [3, 1]],
                          metadata: ["tokenizer_sha256": "abc"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("t.safetensors")
        try f.write(to: url)
        XCTAssertEqual(try TokenFile.read(path: url.path), f)
        XCTAssertEqual(try f.serialized(), try f.serialized())
        XCTAssertThrowsError(try TokenFile.read(path: url.path, vocabularySize: 8)) { e in
            XCTAssertTrue(String(describing: e).contains("outside the model's vocabulary"), "\(e)")
        }
    }

    func testSplitTokenizerSubsetsPromptsAndTruncatesKeepingEOS() {
        let examples = (0..<30).map { SummarizationExample(id: "id\($0)", dialogue: "d\($0)", summary: "s\($0)") }
        let t = SplitTokenizer(prompt: "P {dialogue} :", subsetEvery: 12, subsetOffset: 0,
                               maxSourceLength: 4, maxTargetLength: 3)
        var seenTexts: [String] = []
        let r = t.tokenize(examples, metadata: [:]) { texts in
            seenTexts += texts
            return texts.map { text in text.hasPrefix("P ") ? [10, 11, 12, 13, 14] : [20] }
        }
        XCTAssertEqual(r.file.ids, ["id0", "id12", "id24"])
        XCTAssertEqual(r.file.exampleIndex, [0, 12, 24])
        XCTAssertEqual(seenTexts.prefix(2), ["P d0 :", "P d12 :"])
        XCTAssertEqual(r.file.sources[0], [10, 11, 12, 1])
        XCTAssertEqual(r.file.labels[0], [20, 1])
        XCTAssertEqual(r.truncatedSources, 3)
        XCTAssertEqual(r.truncatedLabels, 0)
    }

    func testLengthSummary() {
        XCTAssertEqual(LengthSummary(Array(1...100)).description, "min 1 / median 51 / p95 95 / max 100")
        XCTAssertEqual(LengthSummary([]).max, 0)
    }
}

final class JSONLinesTests: XCTestCase {
    func write(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".jsonl")
        try Data(bytes).write(to: url)
        return url.path
    }

    func testReadsExactTextAndReportsBadLines() throws {
        let good = JSONLines.line([("id", "1"), ("dialogue", "A: hi\r\nB: \"yo\" é"), ("summary", "s")])
        XCTAssertEqual(good, "{\"id\":\"1\",\"dialogue\":\"A: hi\\r\\nB: \\\"yo\\\" é\",\"summary\":\"s\"}\n")
        let rows = try SummarizationExample.readJSONL(path: try write(Array(good.utf8)))
        XCTAssertEqual(rows, [SummarizationExample(id: "1", dialogue: "A: hi\r\nB: \"yo\" é", summary: "s")])

        let missing = try write(Array((good + "{\"id\":\"2\",\"dialogue\":\"x\"}\n").utf8))
        XCTAssertThrowsError(try SummarizationExample.readJSONL(path: missing)) { e in
            XCTAssertTrue("\(e)".contains("line 2: field 'summary' is missing"), "\(e)")
        }
        let invalid = try write(Array(good.utf8) + [0x7B, 0xFF, 0xFE, 0x7D, 0x0A])
        XCTAssertThrowsError(try SummarizationExample.readJSONL(path: invalid)) { e in
            XCTAssertTrue("\(e)".contains("line 2, column 2: malformed JSON: invalid UTF-8"), "\(e)")
        }
    }
}
