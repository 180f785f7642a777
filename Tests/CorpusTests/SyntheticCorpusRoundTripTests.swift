import Foundation
import XCTest
@testable import Corpus

/// A synthetic SAMSum-like split (CRLF turns, quotes, slashes, non-ASCII, an emoji) round-trips through a 7z
/// archive, the strict element-wise parser and the JSONL writer unchanged. (Its timing is corpus-bench's:
/// scripts/bench/corpus_bench.sh.)
final class SyntheticCorpusRoundTripTests: XCTestCase {
    static func syntheticRecords(_ count: Int) -> [DialogueRecord] {
        let names = ["Amanda", "Jerry", "Olivia", "Oliver", "Tim", "Kim", "Zoë", "Łukasz"]
        return (0..<count).map { i in
            let turns = 3 + i % 12
            let dialogue = (0..<turns).map { t in
                "\(names[(i + t) % names.count]): message \(t) about \"plan #\(i)\" / café \u{1F600}"
            }.joined(separator: "\r\n")
            return DialogueRecord(id: String(13_800_000 + i), dialogue: dialogue,
                                  summary: "\(names[i % names.count]) and \(names[(i + 1) % names.count]) talk (#\(i)).")
        }
    }

    func testSyntheticCorpusRoundTrips() throws {
        let records = Self.syntheticRecords(1_000)
        let json = SamsumArchive.splitJSON(records)
        let archive = try ArchiveWriter.archive(SamsumSplit.allCases.map {
            ($0.archiveEntryName, $0 == .train ? json : SamsumArchive.splitJSON([]))
        })
        let parsed = try decodeCorpusArray(json)
        XCTAssertEqual(parsed, records)
        XCTAssertEqual(try SamsumArchive.read(archiveData: archive, path: "bench.7z")[.train], records)
        XCTAssertEqual(try decodeCorpusJSONL(CorpusJSONLines.encode(parsed), path: "bench.jsonl"), records)
    }
}
