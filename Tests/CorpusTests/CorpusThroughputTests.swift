import Foundation
import XCTest
@testable import Corpus

/// Round-trips a synthetic SAMSum-sized split through a 7z archive, the strict
/// parser and the JSONL writer, and prints the time of each step. With
/// `CORPUS_BENCH_RECORDS` and `CORPUS_BENCH_OUT` set (scripts/bench/corpus_bench.sh,
/// release build) it is the benchmark against Python's json module; by default it
/// runs small and fast as an ordinary correctness test.
final class CorpusThroughputTests: XCTestCase {
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

    func testSyntheticCorpusRoundTripsAndReportsThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["CORPUS_BENCH_RECORDS"].flatMap { Int($0) } ?? 1_000
        let records = Self.syntheticRecords(count)
        let json = SamsumArchive.splitJSON(records)
        if let out = environment["CORPUS_BENCH_OUT"] {
            try json.write(to: URL(fileURLWithPath: out))
        }
        let archive = try ArchiveWriter.archive(SamsumSplit.allCases.map {
            ($0.archiveEntryName, $0 == .train ? json : SamsumArchive.splitJSON([]))
        })

        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var parsed: [DialogueRecord] = []
        let parse = try seconds { parsed = try decodeCorpusArray(json) }
        var jsonl = Data()
        let write = seconds { jsonl = CorpusJSONLines.encode(parsed) }
        var corpus: SamsumCorpus?
        let whole = try seconds { corpus = try SamsumArchive.read(archiveData: archive, path: "bench.7z") }

        XCTAssertEqual(parsed, records)
        XCTAssertEqual(corpus?[.train], records)
        XCTAssertEqual(try decodeCorpusJSONL(jsonl, path: "bench.jsonl"), records)
        let megabytes = Double(json.count) / 1e6
        print(String(format: "corpus-bench swift records=%d json_mb=%.2f parse_s=%.4f jsonl_s=%.4f"
                     + " archive_read_s=%.4f archive_kb=%d", count, megabytes, parse, write, whole,
                     archive.count / 1024))
    }
}
