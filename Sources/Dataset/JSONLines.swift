import Failures
import Foundation
import JSON
import Pipeline

/// Reading JSON Lines files strictly: every line must be valid UTF-8 and a JSON object with
/// the required string fields; the first bad line is an error naming file and line number.
public enum JSONLines {
    /// `unique`: a field whose value must not repeat (an id); a repeat is an error naming both lines.
    public static func readObjects(path: String, required: [String], unique: String? = nil) throws -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw PipelineError.missingInput("no such file", path: path) }
            throw PipelineError.io("cannot read", path: path)
        }
        var rows: [[String: String]] = []
        var seen: [String: Int] = [:]
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty || line.allSatisfy({ $0 == 13 || $0 == 32 }) { continue }
            guard String(validating: line, as: UTF8.self) != nil else {
                throw PipelineError.badInput("line \(lineNumber): invalid UTF-8", path: path)
            }
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw PipelineError.badInput("line \(lineNumber): not a JSON object", path: path)
            }
            var row: [String: String] = [:]
            for (k, v) in obj { if let s = v as? String { row[k] = s } }
            for field in required where row[field] == nil {
                throw PipelineError.badInput("line \(lineNumber): field '\(field)' is missing or not a string", path: path)
            }
            if let unique, let value = row[unique] {
                if let first = seen[value] {
                    throw PipelineError.badInput("line \(lineNumber): duplicate \(unique) \"\(value)\" (first on line \(first))", path: path)
                }
                seen[value] = lineNumber
            }
            rows.append(row)
        }
        return rows
    }

    /// One JSON object per line, keys in the given order, UTF-8 unescaped, `\n` at the end.
    public static func line(_ fields: [(String, String)]) -> String {
        var out = "{"
        for (i, (k, v)) in fields.enumerated() {
            if i > 0 { out += "," }
            out += quote(k) + ":" + quote(v)
        }
        return out + "}\n"
    }

    static func quote(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, into: &out)
        return out
    }
}

extension SummarizationExample {
    /// Reads a split written by fetch-samsum (`id`, `dialogue`, `summary`).
    public static func readJSONL(path: String) throws -> [SummarizationExample] {
        try JSONLines.readObjects(path: path, required: ["id", "dialogue", "summary"]).map {
            SummarizationExample(id: $0["id"]!, dialogue: $0["dialogue"]!, summary: $0["summary"]!)
        }
    }
}
