import Foundation

/// The documented exit codes of every stage executable (see README "Exit codes").
/// They follow sysexits(3) where one fits, so shell scripts can tell failures apart.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// `--verify` found a recomputed output that differs from the cached one.
    case verifyMismatch = 1
    /// Bad command line or bad pipeline.yaml (unknown key, wrong type).
    case usage = 64
    /// An input file is malformed: corrupt archive, bad JSON, invalid record, hostile header.
    case badInput = 65
    /// A required input file does not exist.
    case missingInput = 66
    /// Every mirror failed, a timeout, an HTTP error.
    case network = 69
    /// A bug: an invariant that should hold did not.
    case `internal` = 70
    /// The disk refused: cannot create, write, rename, fsync.
    case io = 74
    /// Training produced a NaN/Inf loss or gradient (the last good checkpoint is kept).
    case trainingDiverged = 75
    /// Content does not match its pinned digest or size.
    case integrity = 76
    /// Killed by SIGINT/SIGTERM (128 + signal number is the shell's convention; we use 130).
    case interrupted = 130
}

/// The one error type stages report to the user: a single line naming the file
/// (when there is one) and what is wrong, plus the exit status it maps to.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
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

    /// The single line printed on stderr.
    public var description: String {
        let flat = message.replacingOccurrences(of: "\n", with: " ")
        if let path { return "\(path): \(flat)" }
        return flat
    }
}
