/// One row of a SAMSum-style split as the pipeline's JSONL files hold it.
public struct SummarizationExample: Equatable, Sendable {
    public let id: String
    public let dialogue: String
    public let summary: String

    public init(id: String, dialogue: String, summary: String) {
        self.id = id
        self.dialogue = dialogue
        self.summary = summary
    }
}
