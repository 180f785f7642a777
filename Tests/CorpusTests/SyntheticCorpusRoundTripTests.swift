import Foundation
import XCTest
@testable import Corpus

/// A synthetic SAMSum-like split (CRLF turns, quotes, slashes, non-ASCII, an emoji) round-trips through a 7z
/// archive, the strict element-wise parser and the JSONL writer unchanged. (Its timing is corpus-bench's:
/// scripts/bench/corpus_bench.sh.)
final class SyntheticCorpusRoundTripTests: XCTestCase {
    func testSyntheticCorpusRoundTrips() throws {
        let records = DialogueRecord.synthetic(1_000)
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
