/// One SAMSum example. The strings are exactly what the corpus holds (dialogues
/// keep their `\r\n` line breaks); nothing is trimmed or normalised.
public struct DialogueRecord: Sendable, Equatable, Hashable {
    public var id: String
    public var dialogue: String
    public var summary: String

    public init(id: String, dialogue: String, summary: String) {
        self.id = id
        self.dialogue = dialogue
        self.summary = summary
    }
}
