import ArgumentParser
import Dispatch
import Failures
import Foundation
import JSON
import SentencePiece

/// The Swift side of scripts/bench/spm_bench.sh (not a product): times encode-only over a file of lines and
/// prints JSON, next to the `sentencepiece` library on the same file.
struct SPMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spm-bench",
        abstract: "Time encoding of every line of a file (JSON on stdout).")

    @Option(help: "The SentencePiece model.")
    var model: String

    @Option(help: "A UTF-8 text file, one text per line.")
    var input: String

    @Option(help: "Threads for the batch API timing.")
    var threads = 2

    @Option(help: "Timed passes; the fastest is reported.")
    var repeats = 3

    func run() throws {
        let processor = try SentencePieceProcessor(path: model)
        guard let data = FileManager.default.contents(atPath: input) else {
            throw PipelineError(.missingInput, "cannot read the input file", path: input)
        }
        // Split on the byte 0x0A: String.split would keep "\r\n" together as one Character.
        var lines = [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if data.last == 0x0A { lines.removeLast() }
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }

        func time(_ body: () -> Int) -> (seconds: Double, tokens: Int) {
            var best = Double.infinity
            var tokens = 0
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                tokens = body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return (best, tokens)
        }
        let single = time {
            let workspace = SentencePieceProcessor.Workspace()
            var total = 0
            for line in lines { total += processor.encode(line, workspace: workspace).count }
            return total
        }
        let batch = time { processor.encode(batch: lines, threads: threads).reduce(0) { $0 + $1.count } }
        let report: JSONValue = [
            "implementation": "swift", "lines": .int(lines.count), "bytes": .int(bytes), "tokens": .int(single.tokens),
            "seconds_1thread": .double(single.seconds),
            "lines_per_s_1thread": .double(Double(lines.count) / single.seconds),
            "mb_per_s_1thread": .double(Double(bytes) / 1e6 / single.seconds),
            "threads": .int(threads), "seconds_batch": .double(batch.seconds),
            "lines_per_s_batch": .double(Double(lines.count) / batch.seconds),
        ]
        print(report.canonical)
    }
}

SPMBench.main()
