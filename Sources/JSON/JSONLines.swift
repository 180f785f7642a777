import Failures
import Foundation

/// JSON Lines, read and written one way for the whole project: one JSON value per line, parsed by
/// `JSONParser`; lines holding only whitespace are skipped; an error names the file, the line and the
/// column. Files are size-checked before they are read, as every untrusted input is.
public enum JSONLines {
    /// One non-blank line.
    public struct Row: Sendable {
        /// 1-based.
        public let line: Int
        public let value: JSONValue

        /// `value` as an object, or a bad-input error naming this line.
        public func object(path: String?) throws -> [String: JSONValue] {
            guard case .object(let fields) = value else {
                throw PipelineError.badInput("line \(line): expected a JSON object, not \(value.kindDescription)", path: path)
            }
            return fields
        }
    }

    /// Refused before reading: the largest JSONL input (SAMSum's train split) is about 11 MB.
    public static let defaultMaxBytes = 1 << 30

    /// Reads `url` (missing: 66; over `maxBytes`: 65; unreadable: 74) and parses it.
    public static func read(contentsOf url: URL, maxBytes: Int = defaultMaxBytes) throws -> [Row] {
        try parse(BoundedFile.read(url, maxBytes: maxBytes), path: url.path)
    }

    /// Parses JSON Lines bytes strictly; `path` names them in errors.
    public static func parse(_ data: Data, path: String?) throws -> [Row] {
        try JSONValue.withValidatedUTF8(data, path: path, lines: true) { buffer in
            var rows: [Row] = []
            var lineStart = 0
            var lineNumber = 1
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count, buffer[lineEnd] != 0x0A { lineEnd += 1 }
                var parser = JSONParser(buffer, start: lineStart, end: lineEnd)
                do throws(JSONSyntaxError) {
                    parser.skipWhitespace()
                    if !parser.atEnd {
                        let value = try parser.parseValue()
                        parser.skipWhitespace()
                        guard parser.atEnd else { throw parser.syntaxError("unexpected data after the value") }
                        rows.append(Row(line: lineNumber, value: value))
                    }
                } catch {
                    throw malformed(error, in: buffer, path: path)
                }
                lineStart = lineEnd + 1
                lineNumber += 1
            }
            return rows
        }
    }

    /// "line L, column C: malformed JSON: reason" (1-based; the column counts bytes).
    static func malformed(_ error: JSONSyntaxError, in bytes: UnsafeBufferPointer<UInt8>, path: String?) -> PipelineError {
        PipelineError.badInput("\(JSONValue.position(of: error.offset, in: bytes)): malformed JSON: \(error.reason)", path: path)
    }

    /// One object of string fields, keys in the given order, `\n` at the end (`.minimal` escaping:
    /// the bytes of Python's `json.dumps(row, ensure_ascii=False, separators=(",", ":"))`).
    public static func line(_ fields: [(String, String)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (key, value)) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.appendString(value, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONValue {
    /// "a string", "an object", …: for messages about a value of the wrong kind.
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONLines {
    /// Reads objects whose `required` fields are strings (other fields that are strings are kept too;
    /// the rest are ignored). `unique`: a field whose value must not repeat (an id); a repeat is an
    /// error naming both lines.
    public static func readStringFields(contentsOf url: URL, required: [String], unique: String? = nil) throws -> [[String: String]] {
        var rows: [[String: String]] = []
        var seen: [String: Int] = [:]
        for row in try read(contentsOf: url) {
            var fields: [String: String] = [:]
            for (key, value) in try row.object(path: url.path) { if case .string(let s) = value { fields[key] = s } }
            for field in required where fields[field] == nil {
                throw PipelineError.badInput("line \(row.line): field '\(field)' is missing or not a string", path: url.path)
            }
            if let unique, let value = fields[unique] {
                if let first = seen[value] {
                    throw PipelineError.badInput("line \(row.line): duplicate \(unique) \"\(value)\" (first on line \(first))",
                                                 path: url.path)
                }
                seen[value] = row.line
            }
            rows.append(fields)
        }
        return rows
    }
}
