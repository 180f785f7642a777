import Failures
import Foundation
import Pipeline

/// A Hugging Face model repository at a pinned revision.
public struct HuggingFaceRepository: Sendable, Equatable {
    public static let defaultEndpoint = URL(string: "https://huggingface.co")!

    /// `owner/name`, e.g. `google/flan-t5-base`.
    public var id: String
    /// A commit hash (best: reproducible), branch or tag.
    public var revision: String
    /// Injectable so tests can point at a local server.
    public var endpoint: URL

    public init(id: String, revision: String = "main", endpoint: URL = HuggingFaceRepository.defaultEndpoint) throws {
        let segments = id.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard segments.count == 2,
              segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.allSatisfy(allowed.contains) })
        else {
            throw PipelineError.usage("not a Hugging Face repo id (want owner/name): '\(id)'")
        }
        guard !revision.isEmpty, !revision.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw PipelineError.usage("bad revision '\(revision)'")
        }
        self.id = id
        self.revision = revision
        self.endpoint = endpoint
    }

    /// `<endpoint>/<repo>/resolve/<revision>/<file>`; the revision is percent-encoded
    /// whole (`refs/pr/1` → `refs%2Fpr%2F1`), as huggingface_hub does.
    public func resolveURL(for file: String) -> URL {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let rev = revision.addingPercentEncoding(withAllowedCharacters: unreserved) ?? revision
        let path = file.split(separator: "/").map {
            String($0).addingPercentEncoding(withAllowedCharacters: unreserved) ?? String($0)
        }.joined(separator: "/")
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: "\(base)/\(id)/resolve/\(rev)/\(path)")!
    }
}

/// A file wanted from a repository.
public struct HuggingFaceFile: Sendable, Equatable {
    public var name: String
    /// Optional files that the server does not have (404) are skipped.
    public var isRequired: Bool

    public init(_ name: String, isRequired: Bool = true) {
        self.name = name
        self.isRequired = isRequired
    }

    /// What a T5 checkpoint needs for this pipeline.
    public static let t5Checkpoint: [HuggingFaceFile] = [
        HuggingFaceFile("config.json"),
        HuggingFaceFile("spiece.model"),
        HuggingFaceFile("model.safetensors"),
        HuggingFaceFile("generation_config.json", isRequired: false),
    ]
}

/// What the server says about a file before it is downloaded.
public struct HuggingFaceFileMetadata: Sendable, Equatable {
    /// The entity tag without quotes: SHA-256 for LFS files, a git blob id otherwise.
    public var etag: String?
    /// Set when `etag` is a SHA-256 (LFS files): the download must match it.
    public var sha256: String?
    public var size: Int?
    /// The commit the revision resolved to (`X-Repo-Commit`).
    public var commit: String?
}

/// A file that is now on disk, verified.
public struct FetchedFile: Sendable, Equatable {
    public var name: String
    public var path: URL
    public var size: Int
    public var sha256: String
    /// True when the server published the SHA-256 and the download matched it;
    /// false for small git-stored files, which are checked by size only.
    public var verifiedAgainstServerDigest: Bool
    public var commit: String?
}
