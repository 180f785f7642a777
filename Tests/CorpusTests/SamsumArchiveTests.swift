import Failures
import Foundation
import XCTest
@testable import Corpus

final class SamsumArchiveTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("CorpusTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static func records(_ prefix: String, _ count: Int) -> [DialogueRecord] {
        (0..<count).map { i in
            DialogueRecord(id: "\(prefix)-\(i)",
                           dialogue: "Amanda: message \(i) \u{1F600}\r\nJerry: \"ok\" / sure\r\nAmanda: caf\u{E9}",
                           summary: "Summary \(i) of \(prefix).")
        }
    }

    static let splits: [SamsumSplit: [DialogueRecord]] = [
        .train: records("train", 12), .validation: records("val", 3), .test: records("test", 4),
    ]

    private func entries(_ splits: [SamsumSplit: [DialogueRecord]]) -> [(name: String, contents: Data)] {
        SamsumSplit.allCases.compactMap { split in
            splits[split].map { (split.archiveEntryName, SamsumArchive.splitJSON($0)) }
        }
    }

    private func assertBadInput(_ body: @autoclosure () throws -> Any, contains fragments: [String],
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? PipelineError else {
                return XCTFail("not a PipelineError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.status, .badInput, error.description, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "'\(fragment)' not in: \(error)",
                              file: file, line: line)
            }
        }
    }

    // MARK: Happy path and exactness

    func testHappyPathReadsSplitsInOriginalOrder() throws {
        let url = directory.appendingPathComponent("corpus.7z")
        try SamsumArchive.write(splits: Self.splits, to: url)

        let corpus = try SamsumArchive.read(archiveAt: url)

        XCTAssertEqual(corpus.splits, Self.splits)
        XCTAssertEqual(corpus.counts, [.train: 12, .validation: 3, .test: 4])
        XCTAssertEqual(corpus.invalidRecords, [])
        XCTAssertEqual(corpus.ignoredEntries, [])
        let out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let files = try corpus.writeJSONL(to: out)
        XCTAssertEqual(files[.validation]?.lastPathComponent, "validation.jsonl")
        XCTAssertEqual(try decodeCorpusJSONL(Data(contentsOf: files[.train]!), path: "train.jsonl"), Self.splits[.train])
    }

    func testDialogueLineBreaksArePreservedExactly() throws {
        let record = DialogueRecord(id: "1", dialogue: "A: hi\r\nB: yo\r\n\r\nA: \n bye\r", summary: "x\ry")
        let url = directory.appendingPathComponent("c.7z")
        try SamsumArchive.write(splits: [.train: [record], .validation: [record], .test: [record]], to: url)

        let read = try SamsumArchive.read(archiveAt: url)[.train][0]

        XCTAssertEqual(Array(read.dialogue.utf8), Array("A: hi\r\nB: yo\r\n\r\nA: \n bye\r".utf8))
        XCTAssertEqual(Array(read.summary.utf8), [0x78, 0x0D, 0x79])
        let line = String(decoding: CorpusJSONLines.encode([read]), as: UTF8.self)
        XCTAssertEqual(line, #"{"id":"1","dialogue":"A: hi\r\nB: yo\r\n\r\nA: \n bye\r","summary":"x\ry"}"# + "\n")
    }

    func testArchiveWritingIsByteReproducible() throws {
        let a = directory.appendingPathComponent("a.7z")
        let b = directory.appendingPathComponent("b.7z")
        try SamsumArchive.write(splits: Self.splits, to: a)
        try SamsumArchive.write(splits: Self.splits, to: b)
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b))

        var changed = Self.splits
        changed[.test]![0].summary += "!"
        try SamsumArchive.write(splits: changed, to: b)
        XCTAssertNotEqual(try Data(contentsOf: a), try Data(contentsOf: b))
    }

    func testZipAndTarArchivesReadTheSame() throws {
        for format in [ArchiveWriter.Format.zip, .tar] {
            let url = directory.appendingPathComponent("corpus.\(format.rawValue)")
            try SamsumArchive.write(splits: Self.splits, to: url, format: format)
            XCTAssertEqual(try SamsumArchive.read(archiveAt: url).splits, Self.splits, format.rawValue)
        }
    }

    // MARK: Hostile and broken archives

    func testTruncatedArchiveIsBadInput() throws {
        let bytes = try ArchiveWriter.archive(entries(Self.splits))
        for keep in [bytes.count - 1, bytes.count * 3 / 4, bytes.count / 2, 40, 10] {
            assertBadInput(try SamsumArchive.read(archiveData: bytes.prefix(keep), path: "corpus.7z"),
                           contains: ["corpus.7z: "])
        }
        assertBadInput(try SamsumArchive.read(archiveData: bytes.prefix(bytes.count / 2), path: "corpus.7z"),
                       contains: ["truncated"])
    }

    func testUnsafeAndUnexpectedEntriesAreIgnoredAndNothingIsWritten() throws {
        var list = entries(Self.splits)
        list.insert((name: "../evil", contents: Data("pwned".utf8)), at: 0)
        list.insert((name: "/etc/x", contents: Data("pwned".utf8)), at: 1)
        list.append((name: "../train.json", contents: Data("[]".utf8)))
        list.append((name: "notes.txt", contents: Data("hello".utf8)))
        let bytes = try ArchiveWriter.archive(list)
        let sandbox = directory.appendingPathComponent("cwd/inner")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(sandbox.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }

        let corpus = try SamsumArchive.read(archiveData: bytes, path: "corpus.7z")

        XCTAssertEqual(corpus.splits, Self.splits, "the real train.json wins over ../train.json")
        XCTAssertEqual(corpus.ignoredEntries,
                       ["../evil (unsafe name)", "/etc/x (unsafe name)", "../train.json (unsafe name)", "notes.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sandbox.path), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sandbox.deletingLastPathComponent().path),
                       ["inner"])
    }

    func testMissingTestSplitIsBadInput() throws {
        let url = directory.appendingPathComponent("corpus.7z")
        try SamsumArchive.write(splits: [.train: Self.splits[.train]!, .validation: Self.splits[.validation]!], to: url)
        assertBadInput(try SamsumArchive.read(archiveAt: url),
                       contains: [url.path, "no test.json", "found: train.json, val.json"])
    }

    func testDuplicateSplitEntryIsBadInput() throws {
        var list = entries(Self.splits)
        list.append((name: "./test.json", contents: SamsumArchive.splitJSON([])))
        assertBadInput(try SamsumArchive.read(archiveData: try ArchiveWriter.archive(list), path: "c.7z"),
                       contains: ["test.json twice"])
    }

    func testMissingArchiveIsMissingInput() {
        XCTAssertThrowsError(try SamsumArchive.read(archiveAt: directory.appendingPathComponent("nope.7z"))) {
            XCTAssertEqual(($0 as? PipelineError)?.status, .missingInput)
        }
    }

    func testOversizedEntryIsRejected() throws {
        let bytes = try ArchiveWriter.archive(entries(Self.splits))
        assertBadInput(try SamsumArchive.read(archiveData: bytes, path: "c.7z",
                                              limits: SamsumArchive.Limits(maxEntryBytes: 100)),
                       contains: ["train.json", "over the limit of 100"])
    }

    // MARK: JSON and record validation

    private func archive(replacing split: SamsumSplit, with json: String) throws -> Data {
        try ArchiveWriter.archive(entries(Self.splits).map {
            $0.name == split.archiveEntryName ? ($0.name, Data(json.utf8)) : $0
        })
    }

    func testMalformedJSONNamesEntryAndPosition() throws {
        let json = "[{\"id\": \"1\", \"dialogue\": \"x\", \"summary\": \"y\"},\n {\"id\": ]"
        assertBadInput(try SamsumArchive.read(archiveData: try archive(replacing: .validation, with: json),
                                              path: "corpus.7z"),
                       contains: ["corpus.7z: val.json: malformed JSON at line 2, column 9", "expected a value"])
        for bad in ["", "[", "{}", "[1,]", "[{\"id\":\"1\"}] x", "[\"\\q\"]", "[\"a\u{01}\"]", "[01]", "[tru]"] {
            assertBadInput(try SamsumArchive.read(archiveData: try archive(replacing: .test, with: bad),
                                                  path: "corpus.7z"),
                           contains: ["test.json: malformed JSON"])
        }
    }

    func testInvalidUTF8IsMalformed() throws {
        var bytes = Data("[{\"id\": \"".utf8)
        bytes.append(contentsOf: [0xC3, 0x28])
        bytes.append(contentsOf: Data("\", \"dialogue\": \"d\", \"summary\": \"s\"}]".utf8))
        let archive = try ArchiveWriter.archive(entries(Self.splits).map {
            $0.name == "train.json" ? ($0.name, bytes) : $0
        })
        assertBadInput(try SamsumArchive.read(archiveData: archive, path: "c.7z"),
                       contains: ["train.json: malformed JSON", "invalid UTF-8", "byte 9"])
    }

    func testDeepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000)
        let json = "[{\"id\": \"1\", \"dialogue\": \"d\", \"summary\": \"s\", \"extra\": \(deep)"
        assertBadInput(try SamsumArchive.read(archiveData: try archive(replacing: .train, with: json), path: "c.7z"),
                       contains: ["nesting deeper than 64"])
    }

    func testRecordWithMissingFieldIsAnErrorByDefault() throws {
        let json = """
        [{"id": "a", "dialogue": "d", "summary": "s"},
         {"id": "b", "dialogue": "d"},
         {"id": "c", "dialogue": "d", "summary": "s"}]
        """
        let bytes = try archive(replacing: .test, with: json)
        assertBadInput(try SamsumArchive.read(archiveData: bytes, path: "c.7z"),
                       contains: ["test.json: 1 invalid record(s) of 3", "record 1: missing field 'summary'"])

        let corpus = try SamsumArchive.read(archiveData: bytes, path: "c.7z", policy: .skip)
        XCTAssertEqual(corpus[.test].map(\.id), ["a", "c"])
        XCTAssertEqual(corpus.invalidRecords,
                       [InvalidRecord(source: "test.json", index: 1, reason: "missing field 'summary'")])
        XCTAssertEqual(corpus.reportLines, ["skipped invalid test.json record 1: missing field 'summary'"])
    }

    func testEveryKindOfInvalidRecordIsReportedWithItsIndex() throws {
        let json = #"""
        [{"id": 5, "dialogue": "d", "summary": "s"},
         {"id": "1", "dialogue": null, "summary": "s"},
         "just a string",
         {"id": "2", "dialogue": "lone \ud800 high", "summary": "s"},
         {"id": "3", "dialogue": "d", "summary": "lone \udc00 low"},
         {"id": "4", "dialogue": "d", "summary": "s", "id": "again"},
         {"id": "5", "dialogue": "pair \ud83d\ude00 ok", "summary": "s", "extra": {"n": [1, 2.5e-3, true]}},
         {}]
        """#
        let corpus = try SamsumArchive.read(archiveData: try archive(replacing: .train, with: json), path: "c.7z",
                                            policy: .skip)
        XCTAssertEqual(corpus[.train], [DialogueRecord(id: "5", dialogue: "pair \u{1F600} ok", summary: "s")])
        XCTAssertEqual(corpus.invalidRecords.map(\.index), [0, 1, 2, 3, 4, 5, 7])
        XCTAssertEqual(corpus.invalidRecords.map(\.reason), [
            "field 'id' is a number, not a string",
            "field 'dialogue' is null, not a string",
            "record is a string, not an object",
            "field 'dialogue' contains a lone UTF-16 surrogate escape, not representable in UTF-8",
            "field 'summary' contains a lone UTF-16 surrogate escape, not representable in UTF-8",
            "duplicate field 'id'",
            "missing field 'id', missing field 'dialogue', missing field 'summary'",
        ])
        assertBadInput(try SamsumArchive.read(archiveData: try archive(replacing: .train, with: json), path: "c.7z"),
                       contains: ["train.json: 7 invalid record(s) of 8", "record 0: field 'id' is a number",
                                  "and 4 more"])
    }
}
