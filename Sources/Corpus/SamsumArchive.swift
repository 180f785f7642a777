import Failures
import Foundation
import JSON

/// The SAMSum `corpus.7z`: reading its splits in memory, and writing archives of
/// the same shape (for tests and the embedded demo corpus).
public enum SamsumArchive {
    public struct Limits: Sendable {
        public var maxArchiveBytes: Int
        public var maxEntryBytes: Int
        public var maxEntries: Int

        public init(maxArchiveBytes: Int = 4 << 30, maxEntryBytes: Int = 1 << 30, maxEntries: Int = 100_000) {
            self.maxArchiveBytes = maxArchiveBytes
            self.maxEntryBytes = maxEntryBytes
            self.maxEntries = maxEntries
        }
    }

    /// Reads `train.json`, `val.json` and `test.json` from the archive at `url`
    /// (any format libarchive reads) without extracting anything.
    ///
    /// Errors (`PipelineError`, one line naming the archive): `.missingInput` when
    /// the file does not exist; `.badInput` for a corrupt or truncated archive, a
    /// missing or duplicated split, an oversized entry, malformed JSON (with line
    /// and column), and — with `policy: .fail` — invalid records (with indices).
    public static func read(archiveAt url: URL, policy: InvalidRecordPolicy = .fail,
                            limits: Limits = Limits()) throws -> SamsumCorpus {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw PipelineError.missingInput("no such archive", path: url.path)
        }
        guard size <= limits.maxArchiveBytes else {
            throw PipelineError.badInput("archive is \(size) bytes, over the limit of \(limits.maxArchiveBytes)",
                                         path: url.path)
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw PipelineError.io("cannot read: \(error.localizedDescription)", path: url.path)
        }
        return try read(archiveData: data, path: url.path, policy: policy, limits: limits)
    }

    /// As `read(archiveAt:)`, for archive bytes already in memory; `path` names them in errors.
    public static func read(archiveData data: Data, path: String, policy: InvalidRecordPolicy = .fail,
                            limits: Limits = Limits()) throws -> SamsumCorpus {
        let wanted = Set(SamsumSplit.allCases.map(\.archiveEntryName))
        let contents = try ArchiveReader.read(data, path: path, wanted: wanted,
                                              limits: .init(maxEntryBytes: limits.maxEntryBytes,
                                                            maxEntries: limits.maxEntries))
        var corpus = SamsumCorpus(splits: [:], invalidRecords: [], ignoredEntries: contents.ignored)
        for split in SamsumSplit.allCases {
            guard let bytes = contents.files[split.archiveEntryName] else {
                let found = contents.files.keys.sorted().joined(separator: ", ")
                throw PipelineError.badInput("archive has no \(split.archiveEntryName)"
                                             + " (found: \(found.isEmpty ? "none" : found))", path: path)
            }
            let (records, invalid) = try parse(bytes, entry: split.archiveEntryName, path: path)
            if policy == .fail, !invalid.isEmpty {
                let shown = invalid.prefix(3).map { "record \($0.index): \($0.reason)" }.joined(separator: "; ")
                let more = invalid.count > 3 ? "; and \(invalid.count - 3) more" : ""
                throw PipelineError.badInput("\(split.archiveEntryName): \(invalid.count) invalid record(s) of"
                                             + " \(records.count + invalid.count): \(shown)\(more)", path: path)
            }
            corpus.splits[split] = records
            corpus.invalidRecords += invalid
        }
        return corpus
    }

    private static func parse(_ bytes: [UInt8], entry: String,
                              path: String) throws -> ([DialogueRecord], [InvalidRecord]) {
        var records: [DialogueRecord] = []
        var invalid: [InvalidRecord] = []
        do {
            try JSONValue.forEachElement(ofArrayIn: Data(bytes)) { index, value, irregularities in
                switch DialogueRecord.validated(value, irregularities: irregularities) {
                case .success(let record): records.append(record)
                case .failure(let problem): invalid.append(InvalidRecord(source: entry, index: index, reason: problem.reason))
                }
            }
        } catch let error as PipelineError {
            throw PipelineError(error.status, "\(entry): \(error.message)", path: path)
        }
        return (records, invalid)
    }

    /// A split file as the corpus ships it: a JSON array of
    /// `{"id": …, "summary": …, "dialogue": …}`, one record per line.
    public static func splitJSON(_ records: [DialogueRecord]) -> Data {
        var out: [UInt8] = Array("[".utf8)
        for (i, record) in records.enumerated() {
            out.append(contentsOf: (i == 0 ? "\n" : ",\n").utf8)
            out.append(contentsOf: #"{"id": "#.utf8)
            JSONValue.appendString(record.id, to: &out)
            out.append(contentsOf: #", "summary": "#.utf8)
            JSONValue.appendString(record.summary, to: &out)
            out.append(contentsOf: #", "dialogue": "#.utf8)
            JSONValue.appendString(record.dialogue, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "\n]\n".utf8)
        return Data(out)
    }

    /// Writes a corpus archive holding the given splits (train.json, val.json,
    /// test.json in that order; absent splits are left out). The bytes depend only
    /// on the records: the same input always gives an identical archive.
    public static func write(splits: [SamsumSplit: [DialogueRecord]], to url: URL,
                             format: ArchiveWriter.Format = .sevenZip) throws {
        let entries = SamsumSplit.allCases.compactMap { split in
            splits[split].map { (name: split.archiveEntryName, contents: splitJSON($0)) }
        }
        try ArchiveWriter.write(entries, format: format, to: url)
    }
}
