/// Why a model file could not be used, or why input could not be encoded or decoded.
/// The description is one line: the file (when known) and the problem.
public struct SentencePieceError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The model file is not a well-formed ModelProto (truncated, bad wire data).
        case malformedModel
        /// The protobuf parses but describes a model this library cannot use.
        case unsupportedModel
        /// The model file cannot be read at all.
        case unreadableFile
        /// A caller passed something invalid, such as an id outside the vocabulary.
        case invalidArgument
    }

    public var kind: Kind
    public var message: String
    /// The file the message is about, shown first.
    public var path: String?

    public init(_ kind: Kind, _ message: String, path: String? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
    }

    public var description: String {
        let line = message.replacingOccurrences(of: "\n", with: " ")
        if let path { return "\(path): \(line)" }
        return line
    }

    func at(path: String) -> SentencePieceError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }
}
