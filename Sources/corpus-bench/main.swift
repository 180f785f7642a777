// The Swift side of scripts/bench/corpus_bench.sh, not a product: a synthetic SAMSum-train-sized split
// parsed and validated as fetch-samsum parses a split (JSON's element-wise parser, then
// DialogueRecord.validated), written as the corpus JSONL, and read back whole from a 7z archive, each timed.
//
//   corpus-bench [RECORDS (14732)] [--out SPLIT.json]
//       Prints "corpus-bench swift records=… json_mb=… parse_s=… jsonl_s=… archive_read_s=… archive_kb=…";
//       --out writes the split's JSON for the Python side to parse the same bytes.
import Corpus
import Foundation
import JSON

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("corpus-bench: error: \(message)\n".utf8))
    exit(64)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var out: String?
if let i = arguments.firstIndex(of: "--out") {
    guard i + 1 < arguments.count else { fail("--out needs a path") }
    out = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
guard arguments.count <= 1, let count = arguments.first.map({ Int($0) }) ?? 14_732, count > 0 else {
    fail("usage: corpus-bench [RECORDS] [--out SPLIT.json]")
}

do {
    let records = DialogueRecord.synthetic(count)
    let json = SamsumArchive.splitJSON(records)
    if let out { try json.write(to: URL(fileURLWithPath: out)) }
    let archive = try ArchiveWriter.archive(SamsumSplit.allCases.map {
        ($0.archiveEntryName, $0 == .train ? json : SamsumArchive.splitJSON([]))
    })
    var parsed: [DialogueRecord] = []
    let parse = try seconds {
        try JSONValue.forEachElement(ofArrayIn: json) { _, value, irregularities in
            parsed.append(try DialogueRecord.validated(value, irregularities: irregularities).get())
        }
    }
    var jsonl = Data()
    let write = seconds { jsonl = CorpusJSONLines.encode(parsed) }
    var corpus: SamsumCorpus?
    let whole = try seconds { corpus = try SamsumArchive.read(archiveData: archive, path: "bench.7z") }
    // the timings count only if the work was done right
    guard parsed == records, corpus?[.train] == records, !jsonl.isEmpty else { fail("the round trip changed the records") }
    print(String(format: "corpus-bench swift records=%d json_mb=%.2f parse_s=%.4f jsonl_s=%.4f archive_read_s=%.4f archive_kb=%d",
                 count, Double(json.count) / 1e6, parse, write, whole, archive.count / 1024))
} catch {
    fail("\(error)")
}
