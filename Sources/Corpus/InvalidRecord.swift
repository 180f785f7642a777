/// What to do with a record that is not `{"id": string, "dialogue": string, "summary": string}`.
public enum InvalidRecordPolicy: String, Sendable, CaseIterable {
    /// Any invalid record is an error that lists them (the default: never drop silently).
    case fail
    /// Invalid records are left out and reported in `SamsumCorpus.invalidRecords`.
    case skip
}

/// A record that failed validation: where it is and why.
public struct InvalidRecord: Sendable, Equatable, CustomStringConvertible {
    /// The file it came from (`train.json`, or a JSONL path).
    public var source: String
    /// 0-based position in the JSON array (or line number - 1 in JSONL).
    public var index: Int
    public var reason: String

    public var description: String { "\(source) record \(index): \(reason)" }
}
