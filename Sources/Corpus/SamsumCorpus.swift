import Foundation

/// The three SAMSum splits read from the archive, in their original order, with
/// a full account of what was left out.
public struct SamsumCorpus: Sendable, Equatable {
    public var splits: [SamsumSplit: [DialogueRecord]]
    /// Records that failed validation (only ever non-empty with `.skip`).
    public var invalidRecords: [InvalidRecord]
    /// Archive entries that were not read: unsafe names, files other than the
    /// three splits, directories.
    public var ignoredEntries: [String]

    public subscript(split: SamsumSplit) -> [DialogueRecord] { splits[split] ?? [] }

    /// Records per split (for the manifest: 14,732 / 818 / 819 for the real corpus).
    public var counts: [SamsumSplit: Int] { splits.mapValues(\.count) }

    /// Writes `train.jsonl`, `validation.jsonl`, `test.jsonl` into `directory`
    /// (which must exist) and returns their URLs.
    @discardableResult
    public func writeJSONL(to directory: URL) throws -> [SamsumSplit: URL] {
        var urls: [SamsumSplit: URL] = [:]
        for split in SamsumSplit.allCases {
            let url = directory.appendingPathComponent(split.jsonlFileName)
            try CorpusJSONLines.write(self[split], to: url)
            urls[split] = url
        }
        return urls
    }

    /// One line per problem, for stderr: invalid records and ignored entries.
    public var reportLines: [String] {
        invalidRecords.map { "skipped invalid \($0)" } + ignoredEntries.map { "ignored archive entry \($0)" }
    }
}
