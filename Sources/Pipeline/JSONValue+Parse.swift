import Foundation
import JSON

extension JSONValue {
    /// Parses JSON text; the error names `path` when given.
    public static func parse(_ data: Data, path: String? = nil) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw PipelineError.badInput("malformed JSON", path: path)
        }
    }
}
