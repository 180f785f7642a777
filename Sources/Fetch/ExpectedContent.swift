import Failures
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

    /// Checks a local file (e.g. an archive given with `--archive`) the way a
    /// download is checked, and returns its actual size and SHA-256. Errors:
    /// `.missingInput` if absent, `.integrity` naming both sizes or both digests.
    @discardableResult
    public func verify(fileAt url: URL) throws -> (size: Int, sha256: String) {
        let expected = try validated(for: url.path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw PipelineError.missingInput("no such file", path: url.path)
        }
        if let expectedSize = expected.size, size != expectedSize {
            throw PipelineError.integrity("size mismatch: expected \(expectedSize) bytes, got \(size) bytes",
                                          path: url.path)
        }
        let digest = try Digest.sha256(fileAt: url)
        if let expectedDigest = expected.sha256, digest != expectedDigest {
            throw PipelineError.integrity("SHA-256 mismatch: expected \(expectedDigest), got \(digest)", path: url.path)
        }
        return (size, digest)
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
