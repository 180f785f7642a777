import Foundation
import Pipeline

/// What a download must turn out to be before it is published. Either part may be
/// unknown (nil); the downloader still reports the actual size and digest.
public struct ExpectedContent: Sendable, Equatable {
    public var size: Int?
    /// Lowercase hex SHA-256.
    public var sha256: String?

    public init(size: Int? = nil, sha256: String? = nil) {
        self.size = size
        self.sha256 = sha256?.lowercased()
    }

    func validated(for path: String) throws -> ExpectedContent {
        if let size, size < 0 {
            throw PipelineError.usage("expected size must not be negative (got \(size))", path: path)
        }
        if let sha256, !EntityTag.isSHA256Hex(sha256) {
            throw PipelineError.usage("expected SHA-256 must be 64 hex digits (got '\(sha256)')", path: path)
        }
        return self
    }
}

/// What was published.
public struct DownloadResult: Sendable, Equatable {
    public var destination: URL
    public var size: Int
    public var sha256: String
    /// The mirror that served the bytes (nil when an already-verified file was reused).
    public var source: URL?
    /// Bytes that were already in the partial file when the final transfer started.
    public var resumedBytes: Int
}
