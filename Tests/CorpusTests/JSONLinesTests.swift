import Failures
import Foundation
import JSON
import XCTest
@testable import Corpus

/// The corpus read back the way any reader of this project reads it: JSON's one parser, then
/// `DialogueRecord.validated` (a bad record is an error naming its line).
func decodeCorpusJSONL(_ data: Data, path: String) throws -> [DialogueRecord] {
    try JSONLines.parse(data, path: path).map { row in
        try DialogueRecord.validated(row.value).mapError {
            PipelineError.badInput("line \(row.line): invalid record: \($0.reason)", path: path)
        }.get()
    }
}

/// A corpus split (a JSON array of records) parsed as fetch-samsum parses it; every record must be valid.
func decodeCorpusArray(_ data: Data) throws -> [DialogueRecord] {
    var records: [DialogueRecord] = []
    try JSONValue.forEachElement(ofArrayIn: data) { _, value, irregularities in
        records.append(try DialogueRecord.validated(value, irregularities: irregularities).get())
    }
    return records
}

final class JSONLinesTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/Corpus").standardized

    /// records.json (Python json.dump, ASCII with \u escapes and surrogate pairs)
    /// must decode to strings whose JSONL encoding is byte-identical to Python's
    /// json.dumps(ensure_ascii=False, separators=(",", ":")).
    func testEscapesRoundTripToPythonBytes() throws {
        let input = try Data(contentsOf: Self.fixtures.appendingPathComponent("records.json"))
        let golden = try Data(contentsOf: Self.fixtures.appendingPathComponent("records.jsonl"))
        let records = try decodeCorpusArray(input)
        XCTAssertEqual(records.count, 6)
        XCTAssertEqual(records[3].dialogue.unicodeScalars.first { $0.value > 0xFFFF }, "\u{1F600}")
        XCTAssertTrue(records[4].dialogue.contains("\u{0}"))
        XCTAssertEqual(CorpusJSONLines.encode(records), golden)
        XCTAssertEqual(try decodeCorpusJSONL(golden, path: "records.jsonl"), records)
    }

    func testEncodingIsExactAndUnescapedWhereJSONAllows() {
        let record = DialogueRecord(id: "a/b", dialogue: "\u{7F}é\u{2028}\t\u{1B}", summary: "\"\\")
        XCTAssertEqual(String(decoding: CorpusJSONLines.encode([record]), as: UTF8.self),
                       "{\"id\":\"a/b\",\"dialogue\":\"\u{7F}é\u{2028}\\t\\u001b\",\"summary\":\"\\\"\\\\\"}\n")
    }

    func testDecodeNamesTheBadLine() {
        let data = Data("{\"id\":\"1\",\"dialogue\":\"d\",\"summary\":\"s\"}\n{\"id\":\"2\",\"dialogue\":\"d\"}\n".utf8)
        XCTAssertThrowsError(try decodeCorpusJSONL(data, path: "train.jsonl")) { error in
            XCTAssertEqual((error as? PipelineError)?.description,
                           "train.jsonl: line 2: invalid record: missing field 'summary'")
        }
        XCTAssertThrowsError(try decodeCorpusJSONL(Data("{\"id\":}\n".utf8), path: "t.jsonl")) { error in
            XCTAssertEqual((error as? PipelineError)?.description,
                           "t.jsonl: line 1, column 7: malformed JSON: expected a value")
        }
    }

    func testEntryNameSafety() {
        XCTAssertEqual(ArchiveEntryName.safe("./train.json"), "train.json")
        XCTAssertEqual(ArchiveEntryName.safe("dir/train.json"), "dir/train.json")
        for bad in ["../evil", "/etc/x", "a/../../b", "..", "C:/x", "a\\b", "x\u{0}y", ""] {
            XCTAssertNil(ArchiveEntryName.safe(bad), bad)
        }
    }
}
