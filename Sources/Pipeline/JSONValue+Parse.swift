import Failures
import Foundation
import JSON

extension JSONValue {
    /// Parses JSON text; the error names `path` when given. The JSON module's parser keeps `32.0` a
    /// double and `32` an int (JSONDecoder read both as Int), so a file this project wrote reads back
    /// as the same values and writes back as the same bytes.
    public static func parse(_ data: Data, path: String? = nil) throws -> JSONValue {
        do { return try JSONValue(parsing: data) } catch {
            throw PipelineError.badInput("malformed JSON", path: path)
        }
    }
}
