import Corpus
import Failures
import Fetch
import Foundation
import JSON
import Pipeline

/// `fetch-samsum`: the pinned `corpus.7z` (downloaded from the mirrors, or a local copy)
/// → `data/samsum/{train,validation,test}.jsonl`, text kept exactly.
///
/// The key hashes the archive's pinned SHA-256 and size, not where it came from: a local
/// copy and a download of the same bytes are the same result, and a cache hit needs no
/// network at all.
public enum FetchSamsumStage {
    @discardableResult
    public static func run(_ options: StageOptions, archive: String? = nil, root: URL? = nil) throws -> StageResult {
        let run = try StageRun(stage: "fetch-samsum", formatVersion: 1, options: options, root: root)
        let p = run.params
        let expected = ExpectedContent(size: p.int("samsum.size"), sha256: p.string("samsum.sha256"))
        let policy: InvalidRecordPolicy = p.string("samsum.invalid_records") == "skip" ? .skip : .fail
        let local = archive ?? p.unhashed("samsum.archive").stringValue!
        let mirrors = try p.unhashed("samsum.urls").arrayValue!.map { s -> URL in
            guard let u = URL(string: s.stringValue!), u.scheme == "https" || u.scheme == "http" else {
                throw PipelineError.usage("samsum.urls: not an http(s) URL: \(s.stringValue!)", path: options.config)
            }
            return u
        }
        let outputs = SamsumSplit.allCases.map { StageOutput($0.jsonlFileName, at: run.dataPath("samsum/\($0.jsonlFileName)")) }

        return try run.execute(outputs: outputs) { ws in
            let archiveURL: URL
            if !local.isEmpty {
                archiveURL = run.resolve(local)
                try expected.verify(fileAt: archiveURL)
            } else {
                archiveURL = run.resolve(run.dataPath("downloads/corpus.7z"))
                try Downloader(options: DownloadOptions(quiet: options.quiet))
                    .download(from: mirrors, to: archiveURL, expecting: expected, label: "corpus.7z")
            }
            let corpus = try SamsumArchive.read(archiveAt: archiveURL, policy: policy)
            for line in corpus.reportLines { report("fetch-samsum: \(line)") }
            try corpus.writeJSONL(to: ws.outputDirectory)
            var counts: [String: JSONValue] = [:]
            for (split, n) in corpus.counts { counts[split.rawValue] = .int(n) }
            report("fetch-samsum: " + SamsumSplit.allCases.map { "\($0.rawValue) \(corpus[$0].count)" }.joined(separator: ", "))
            return ["counts": .object(counts), "invalid_records_skipped": .int(corpus.invalidRecords.count),
                    "ignored_entries": .array(corpus.ignoredEntries.map { .string($0) }),
                    "archive_sha256": .string(expected.sha256 ?? "")]
        }
    }
}
