import Failures
import Foundation
import Pipeline
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a model's files from a Hugging Face repository with the resumable
/// downloader, checking each LFS file against the SHA-256 the server publishes in
/// `X-Linked-Etag` (or `ETag`).
public struct HuggingFaceFetcher: Sendable {
    public var repository: HuggingFaceRepository
    public var downloader: Downloader

    /// `token` (usually `BearerToken.fromEnvironment()`) is sent to the repository's
    /// host only, never to the CDN it redirects to, and never printed.
    public init(repository: HuggingFaceRepository, token: BearerToken? = nil,
                options: DownloadOptions = DownloadOptions()) {
        var options = options
        options.bearerToken = token ?? options.bearerToken
        if let host = repository.endpoint.host?.lowercased() { options.tokenHosts = [host] }
        self.repository = repository
        self.downloader = Downloader(options: options)
    }

    /// Fetches `files` into `directory` (created if needed) and returns those now
    /// present, in order; optional files the repository lacks are left out.
    public func fetch(_ files: [HuggingFaceFile] = HuggingFaceFile.t5Checkpoint,
                      into directory: URL) throws -> [FetchedFile] {
        var fetched: [FetchedFile] = []
        for file in files {
            try Self.checkName(file.name)
            guard let metadata = try metadata(for: file.name) else {
                if file.isRequired {
                    throw PipelineError.network("\(repository.id)@\(repository.revision) has no \(file.name)"
                                                + " (HTTP 404 at \(repository.resolveURL(for: file.name)))")
                }
                report("\(file.name): not in \(repository.id)@\(repository.revision), skipped (optional)")
                continue
            }
            let destination = directory.appendingPathComponent(file.name)
            let result = try downloader.download(
                from: [repository.resolveURL(for: file.name)], to: destination,
                expecting: ExpectedContent(size: metadata.size, sha256: metadata.sha256), label: file.name)
            fetched.append(FetchedFile(name: file.name, path: destination, size: result.size, sha256: result.sha256,
                                       verifiedAgainstServerDigest: metadata.sha256 != nil, commit: metadata.commit))
        }
        return fetched
    }

    /// A HEAD request that stops before the CDN redirect, where Hugging Face puts
    /// the LFS digest and size (`X-Linked-Etag`, `X-Linked-Size`). nil means 404.
    public func metadata(for file: String) throws -> HuggingFaceFileMetadata? {
        let url = repository.resolveURL(for: file)
        let options = downloader.options
        var failuresWithoutProgress = 0
        while true {
            let outcome = HTTPExchange.perform("HEAD", url, options: options, redirects: .sameHostOnly) { _ in nil }
            let problem: String
            if let response = outcome.response, outcome.failure == nil {
                switch response.status {
                case 200..<400:
                    return Self.metadata(from: response)
                case 404, 410:
                    return nil
                case 408, 425, 429, 500...599:
                    problem = "HTTP \(response.status)"
                default:
                    throw PipelineError.network("\(file): \(Downloader.explain(status: response.status)) at \(url.quoted)")
                }
            } else if case .timedOut? = outcome.failure {
                problem = "timed out (no data for \(options.requestTimeout) s)"
            } else if case .transport(let message)? = outcome.failure {
                problem = message
            } else {
                problem = "no response"
            }
            failuresWithoutProgress += 1
            if failuresWithoutProgress >= options.maxAttempts {
                throw PipelineError.network("\(file): metadata request failed after \(failuresWithoutProgress)"
                                            + " attempts: \(problem) at \(url.quoted)")
            }
            Thread.sleep(forTimeInterval: options.backoff(beforeRetry: failuresWithoutProgress))
        }
    }

    static func metadata(from response: HTTPExchange.Response) -> HuggingFaceFileMetadata {
        let rawTag = response[header: "x-linked-etag"] ?? response[header: "etag"]
        let size = (response[header: "x-linked-size"] ?? (response.status == 200 ? response[header: "content-length"] : nil))
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return HuggingFaceFileMetadata(etag: rawTag.map(EntityTag.unquoted), sha256: EntityTag.sha256(from: rawTag),
                                       size: size, commit: response[header: "x-repo-commit"])
    }

    /// Files land in the target directory under their own name: no paths.
    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != ".", name != "..",
              !name.contains("\0") else {
            throw PipelineError.usage("unsafe file name '\(name)' (want a plain file name)")
        }
    }
}
