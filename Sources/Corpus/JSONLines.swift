import Failures
import Foundation
import Pipeline

/// The project's corpus output format: one `{"id":…,"dialogue":…,"summary":…}`
/// object per line, keys in that order, no spaces, UTF-8, `\n` after every line.
/// The bytes are those of Python's
/// `json.dumps(record, ensure_ascii=False, separators=(",", ":"))`, so equal
/// records always give identical files, whichever tool wrote them.
public enum JSONLines {
    public static func encode(_ records: [DialogueRecord]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(records.reduce(0) { $0 + $1.dialogue.utf8.count + $1.summary.utf8.count + 64 })
        for record in records { appendLine(record, to: &out) }
        return Data(out)
    }

    static func appendLine(_ record: DialogueRecord, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONStringEncoding.append(record.id, to: &out)
        out.append(contentsOf: #","dialogue":"#.utf8)
        JSONStringEncoding.append(record.dialogue, to: &out)
        out.append(contentsOf: #","summary":"#.utf8)
        JSONStringEncoding.append(record.summary, to: &out)
        out.append(contentsOf: "}\n".utf8)
    }

    /// Writes atomically (temporary file, then rename).
    public static func write(_ records: [DialogueRecord], to url: URL) throws {
        do { try encode(records).write(to: url, options: .atomic) } catch {
            throw PipelineError.io("cannot write: \(error.localizedDescription)", path: url.path)
        }
    }

    /// Reads a JSONL corpus file; any malformed line or invalid record is an error
    /// naming the line. Files over `maxBytes` are refused before reading.
    public static func read(contentsOf url: URL, maxBytes: Int = 1 << 30) throws -> [DialogueRecord] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw PipelineError.missingInput("no such file", path: url.path)
        }
        guard size <= maxBytes else {
            throw PipelineError.badInput("file is \(size) bytes, over the limit of \(maxBytes)", path: url.path)
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw PipelineError.io("cannot read: \(error.localizedDescription)", path: url.path)
        }
        return try decode(data, path: url.path)
    }

    /// Parses JSONL bytes; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> [DialogueRecord] {
        try [UInt8](data).withUnsafeBufferPointer { buffer in
            if let bad = UTF8Validation.firstInvalidOffset(buffer) {
                throw PipelineError.badInput("invalid UTF-8 at byte \(bad)", path: path)
            }
            var records: [DialogueRecord] = []
            var lineStart = 0
            var lineNumber = 1
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count, buffer[lineEnd] != 0x0A { lineEnd += 1 }
                let result: CorpusJSONParser.RecordResult
                do throws(CorpusJSONParser.Malformed) {
                    result = try CorpusJSONParser.parseSingleRecord(buffer, start: lineStart, end: lineEnd)
                } catch {
                    let column = error.offset - lineStart + 1
                    throw PipelineError.badInput("line \(lineNumber), column \(column): malformed JSON: \(error.reason)",
                                                 path: path)
                }
                switch result {
                case .success(let record): records.append(record)
                case .failure(let problem):
                    throw PipelineError.badInput("line \(lineNumber): invalid record: \(problem.reason)", path: path)
                }
                lineStart = lineEnd + 1
                lineNumber += 1
            }
            return records
        }
    }
}
