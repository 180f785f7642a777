import Failures
import Foundation

/// One system's predictions: `{"id", "prediction"}` rows, as the generate stage writes them.
public struct PredictionsFile: Sendable {
    public struct Row: Sendable, Equatable {
        public var id: String
        public var prediction: String
        public var line: Int
    }

    public let path: String
    public let rows: [Row]

    public init(url: URL) throws(PipelineError) {
        try self.init(file: JSONLinesFile(url: url))
    }

    public init(data: Data, path: String) throws(PipelineError) {
        try self.init(file: JSONLinesFile(data: data, path: path))
    }

    private init(file: JSONLinesFile) throws(PipelineError) {
        path = file.path
        var rows: [Row] = []
        var seen: [String: Int] = [:]
        for row in file.rows {
            let id = try file.string("id", in: row, allowInteger: true)
            let prediction = try file.string("prediction", in: row)
            if let first = seen[id] {
                throw PipelineError(.badInput, "line \(row.line): duplicate id \"\(id)\" (first on line \(first))", path: path)
            }
            seen[id] = row.line
            rows.append(Row(id: id, prediction: prediction, line: row.line))
        }
        self.rows = rows
    }
}

/// Reference summaries: `{"id", "summary", ...}` rows as fetch-samsum writes them, with the dialogue when a row has
/// one (the per-example comparison shows it); other fields are ignored.
public struct ReferencesFile: Sendable {
    public let path: String
    /// id -> reference summary.
    public let summaries: [String: String]
    /// id -> dialogue, for the rows that have a string `dialogue`.
    public let dialogues: [String: String]
    /// The ids in file order, with their line numbers.
    public let order: [(id: String, line: Int)]

    public init(url: URL) throws(PipelineError) {
        try self.init(file: JSONLinesFile(url: url))
    }

    public init(data: Data, path: String) throws(PipelineError) {
        try self.init(file: JSONLinesFile(data: data, path: path))
    }

    private init(file: JSONLinesFile) throws(PipelineError) {
        path = file.path
        var summaries: [String: String] = [:]
        var lines: [String: Int] = [:]
        var order: [(id: String, line: Int)] = []
        var dialogues: [String: String] = [:]
        for row in file.rows {
            let id = try file.string("id", in: row, allowInteger: true)
            let summary = try file.string("summary", in: row)
            if case .string(let dialogue)? = row.object["dialogue"] { dialogues[id] = dialogue }
            if let first = lines[id] {
                throw PipelineError(.badInput, "line \(row.line): duplicate id \"\(id)\" (first on line \(first))", path: path)
            }
            lines[id] = row.line
            summaries[id] = summary
            order.append((id, row.line))
        }
        self.summaries = summaries
        self.dialogues = dialogues
        self.order = order
    }
}
