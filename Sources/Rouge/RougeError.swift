/// Every failure of the Rouge library: one line naming the file (when there is one) and
/// the problem, and the exit status a command-line tool should return for it.
public struct RougeError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A wrong combination of arguments or an unknown option value.
        case usage
        /// Malformed content: bad JSON, a missing field, a duplicate or unmatched id.
        case badInput
        /// A file, or a git revision's file, that does not exist.
        case missingInput
        /// The disk or a subprocess failed.
        case io
    }

    public var kind: Kind
    public var message: String
    public var path: String?

    public init(_ kind: Kind, _ message: String, path: String? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
    }

    /// sysexits(3) codes, the same the project's Pipeline `ExitStatus` uses.
    public var exitCode: Int32 {
        switch kind {
        case .usage: return 64
        case .badInput: return 65
        case .missingInput: return 66
        case .io: return 74
        }
    }

    public var description: String {
        let flat = message.replacingOccurrences(of: "\n", with: " ")
        if let path { return "\(path): \(flat)" }
        return flat
    }
}
