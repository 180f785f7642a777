import Foundation
import JSON

extension SummarizationExample {
    /// Reads a split written by fetch-samsum (`id`, `dialogue`, `summary`).
    public static func readJSONL(path: String) throws -> [SummarizationExample] {
        try JSONLines.readStringFields(contentsOf: URL(fileURLWithPath: path), required: ["id", "dialogue", "summary"]).map {
            SummarizationExample(id: $0["id"]!, dialogue: $0["dialogue"]!, summary: $0["summary"]!)
        }
    }
}
