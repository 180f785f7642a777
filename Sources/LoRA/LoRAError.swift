import Foundation

/// A failure of the LoRA library: one line naming the file (when there is one) and the problem.
public struct LoRAError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A configuration value is out of range or unsupported.
        case invalidConfiguration
        /// A file's content is malformed, truncated or inconsistent.
        case badInput
        /// The file system refused a read or write.
        case io
    }

    public var kind: Kind
    public var message: String
    /// The file the message is about, printed first.
    public var path: String?

    public init(_ kind: Kind, _ message: String, path: String? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
    }

    public static func invalidConfiguration(_ m: String, path: String? = nil) -> Self { .init(.invalidConfiguration, m, path: path) }
    public static func badInput(_ m: String, path: String? = nil) -> Self { .init(.badInput, m, path: path) }
    public static func io(_ m: String, path: String? = nil) -> Self { .init(.io, m, path: path) }

    public var description: String {
        let flat = message.replacingOccurrences(of: "\n", with: " ")
        if let path { return "\(path): \(flat)" }
        return flat
    }
}
