/// The three SAMSum splits, with their names inside `corpus.7z` and as outputs.
public enum SamsumSplit: String, CaseIterable, Sendable, Comparable {
    case train
    case validation
    case test

    /// The file in the archive (`val.json` for validation).
    public var archiveEntryName: String {
        switch self {
        case .train: return "train.json"
        case .validation: return "val.json"
        case .test: return "test.json"
        }
    }

    /// The output file: `train.jsonl`, `validation.jsonl`, `test.jsonl`.
    public var jsonlFileName: String { rawValue + ".jsonl" }

    public init?(archiveEntryName name: String) {
        guard let split = SamsumSplit.allCases.first(where: { $0.archiveEntryName == name }) else { return nil }
        self = split
    }

    public static func < (a: SamsumSplit, b: SamsumSplit) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
