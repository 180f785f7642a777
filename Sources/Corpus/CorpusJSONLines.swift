import Failures
import Foundation
import JSON

/// The project's corpus output format: one `{"id":…,"dialogue":…,"summary":…}`
/// object per line, keys in that order, no spaces, UTF-8, `\n` after every line.
/// The bytes are those of Python's
/// `json.dumps(record, ensure_ascii=False, separators=(",", ":"))`, so equal
/// records always give identical files, whichever tool wrote them. It is read back with
/// `JSON.JSONLines` and `DialogueRecord.validated`.
public enum CorpusJSONLines {
    public static func encode(_ records: [DialogueRecord]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(records.reduce(0) { $0 + $1.dialogue.utf8.count + $1.summary.utf8.count + 64 })
        for record in records {
            out.append(contentsOf: #"{"id":"#.utf8)
            JSONValue.appendString(record.id, to: &out)
            out.append(contentsOf: #","dialogue":"#.utf8)
            JSONValue.appendString(record.dialogue, to: &out)
            out.append(contentsOf: #","summary":"#.utf8)
            JSONValue.appendString(record.summary, to: &out)
            out.append(contentsOf: "}\n".utf8)
        }
        return Data(out)
    }

    /// Writes atomically (temporary file, then rename).
    public static func write(_ records: [DialogueRecord], to url: URL) throws {
        do { try encode(records).write(to: url, options: .atomic) } catch {
            throw PipelineError.io("cannot write: \(error.localizedDescription)", path: url.path)
        }
    }
}
