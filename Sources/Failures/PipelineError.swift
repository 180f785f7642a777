import Foundation

/// The project's one error type: every library (tokenizer, safetensors, T5, trainer, LoRA, ROUGE,
/// corpus) and every stage throws it. It is a single line naming the file (when there is one) and
/// what is wrong, plus its kind, which is the exit status the executables return (see `ExitStatus`).
public struct PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    public var status: ExitStatus
    public var message: String
    /// The file the message is about, shown first ("path: message").
    public var path: String?

    public init(_ status: ExitStatus, _ message: String, path: String? = nil) {
        self.status = status
        self.message = message
        self.path = path
    }

    public static func usage(_ m: String, path: String? = nil) -> Self { .init(.usage, m, path: path) }
    public static func badInput(_ m: String, path: String? = nil) -> Self { .init(.badInput, m, path: path) }
    public static func missingInput(_ m: String, path: String? = nil) -> Self { .init(.missingInput, m, path: path) }
    public static func network(_ m: String, path: String? = nil) -> Self { .init(.network, m, path: path) }
    public static func integrity(_ m: String, path: String? = nil) -> Self { .init(.integrity, m, path: path) }
    public static func io(_ m: String, path: String? = nil) -> Self { .init(.io, m, path: path) }
    public static func `internal`(_ m: String, path: String? = nil) -> Self { .init(.internal, m, path: path) }

    /// The same error naming `path` when it names no file yet (a parser learns its file from the caller).
    public func at(path: String) -> Self {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }

    /// The single line printed on stderr.
    public var description: String {
        let flat = message.replacingOccurrences(of: "\n", with: " ")
        if let path { return "\(path): \(flat)" }
        return flat
    }
}
