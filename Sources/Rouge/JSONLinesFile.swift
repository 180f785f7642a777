import Failures
import Foundation
import JSON

/// A ROUGE input read with the project's one JSON Lines reader (bounded, strict, errors naming the
/// file, line and column), with field access whose errors name the line.
public struct JSONLinesFile {
    /// Larger inputs are refused rather than read: ROUGE inputs are a few megabytes.
    static let maximumBytes = 256 << 20

    let path: String
    /// (1-based line number, object) for every non-blank line.
    let rows: [(line: Int, object: [String: JSONValue])]

    init(url: URL) throws(PipelineError) {
        try self.init(data: try Self.readBounded(url: url), path: url.path)
    }

    init(data: Data, path: String) throws(PipelineError) {
        self.path = path
        do {
            rows = try JSONLines.parse(data, path: path).map { ($0.line, try $0.object(path: path)) }
        } catch {
            throw PipelineError(classifying: error)
        }
    }

    public static func readBounded(url: URL) throws(PipelineError) -> Data {
        do { return try BoundedFile.read(url, maxBytes: maximumBytes) } catch { throw PipelineError(classifying: error) }
    }

    /// A string field; an integer id is accepted and written in decimal.
    func string(_ key: String, in row: (line: Int, object: [String: JSONValue]), allowInteger: Bool = false) throws(PipelineError) -> String {
        switch row.object[key] {
        case .string(let s)?: return s
        case .int(let n)? where allowInteger: return String(n)
        case nil: throw PipelineError(.badInput, "line \(row.line): missing field \"\(key)\"", path: path)
        default: throw PipelineError(.badInput, "line \(row.line): field \"\(key)\" must be a string", path: path)
        }
    }
}
