import Failures
import Foundation

/// A JSONL file read with bounds: a size limit before reading, one JSON object per
/// non-blank line, and errors that name the file and line.
public struct JSONLinesFile {
    /// Larger inputs are refused rather than read: ROUGE inputs are a few megabytes.
    static let maximumBytes = 256 << 20

    let path: String
    /// (1-based line number, object) for every non-blank line.
    let rows: [(line: Int, object: [String: Any])]

    init(url: URL) throws(PipelineError) {
        let path = url.path
        let data = try Self.readBounded(url: url)
        try self.init(data: data, path: path)
    }

    init(data: Data, path: String) throws(PipelineError) {
        self.path = path
        var rows: [(line: Int, object: [String: Any])] = []
        var lineNumber = 0
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            lineNumber += 1
            let line = data[start..<end]
            start = end < data.endIndex ? end + 1 : end
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let parsed: Any
            do { parsed = try JSONSerialization.jsonObject(with: line, options: []) } catch {
                throw PipelineError(.badInput, "line \(lineNumber): not valid JSON", path: path)
            }
            guard let object = parsed as? [String: Any] else {
                throw PipelineError(.badInput, "line \(lineNumber): expected a JSON object", path: path)
            }
            rows.append((lineNumber, object))
        }
        self.rows = rows
    }

    public static func readBounded(url: URL) throws(PipelineError) -> Data {
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw PipelineError(.missingInput, "no such file", path: path)
        }
        if let size = attributes[.size] as? Int, size > maximumBytes {
            throw PipelineError(.badInput, "file is \(size) bytes, more than the \(maximumBytes)-byte limit", path: path)
        }
        do { return try Data(contentsOf: url) } catch {
            throw PipelineError(.io, "cannot read: \(error.localizedDescription)", path: path)
        }
    }

    /// A string field; an integer id is accepted and written in decimal.
    func string(_ key: String, in row: (line: Int, object: [String: Any]), allowInteger: Bool = false) throws(PipelineError) -> String {
        let value = row.object[key]
        if let s = value as? String { return s }
        if allowInteger, !(value is Bool), let n = value as? Int { return String(n) }
        if value == nil {
            throw PipelineError(.badInput, "line \(row.line): missing field \"\(key)\"", path: path)
        }
        throw PipelineError(.badInput, "line \(row.line): field \"\(key)\" must be a string", path: path)
    }
}
