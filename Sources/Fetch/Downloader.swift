import Failures
import Foundation
import Pipeline
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A resumable HTTP downloader.
///
/// Bytes go to `<destination>.partial`; an interrupted transfer resumes with
/// `Range` (and `If-Range` when the server gave a strong validator). Failed
/// attempts are retried with exponential back-off; a mirror that answers 404 (or
/// keeps failing) hands over to the next one. Only a file whose size and SHA-256
/// match what is expected is renamed into place. Calls block the calling thread.
public struct Downloader: Sendable {
    public var options: DownloadOptions

    public init(options: DownloadOptions = DownloadOptions()) {
        self.options = options
    }

    /// Downloads the first mirror that delivers the expected content to `destination`.
    ///
    /// If `destination` already exists and matches a pinned SHA-256 it is reused
    /// without network access. Errors: `.network` when every mirror failed,
    /// `.integrity` when a mirror delivered the wrong size or digest (the message
    /// names both digests; the partial file is deleted, nothing is published),
    /// `.io` when the disk refuses, `.usage` for a malformed expectation.
    @discardableResult
    public func download(from mirrors: [URL], to destination: URL,
                         expecting expected: ExpectedContent = ExpectedContent(),
                         label: String? = nil) throws -> DownloadResult {
        let expected = try expected.validated(for: destination.path)
        guard !mirrors.isEmpty else { throw PipelineError.usage("no download URL given", path: destination.path) }
        if let reused = try reuseVerified(destination, expected) { return reused }
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
        } catch {
            throw PipelineError.io("cannot create directory: \(error.localizedDescription)",
                                   path: destination.deletingLastPathComponent().path)
        }

        let partial = PartialFile(destination: destination)
        let meter = ByteMeter(label: label ?? destination.lastPathComponent, expectedSize: expected.size,
                              quiet: options.quiet)
        var problems: [String] = []
        var integrityFailure: PipelineError?
        for mirror in mirrors {
            switch try fetch(mirror, into: partial, expected: expected, meter: meter) {
            case .published(let result):
                meter.finish()
                return result
            case .failed(let problem):
                problems.append("\(mirror.quoted): \(problem)")
            case .corrupt(let error):
                integrityFailure = integrityFailure ?? error
                problems.append("\(mirror.quoted): \(error.message)")
            }
        }
        meter.finish(note: "failed")
        if let integrityFailure {
            var error = integrityFailure
            if mirrors.count > 1 { error.message += " (all \(mirrors.count) mirrors failed: \(problems.joined(separator: "; ")))" }
            throw error
        }
        throw PipelineError.network("download failed from all \(mirrors.count) mirror(s): "
                                    + problems.joined(separator: "; "), path: destination.path)
    }

    // MARK: - One mirror

    private enum MirrorResult {
        case published(DownloadResult)
        case failed(String)
        case corrupt(PipelineError)
    }

    /// Retries one mirror until it delivers, refuses, or stops making progress.
    /// Progress means the partial file grew past its largest size so far, so a
    /// server that keeps cutting the connection at the same point (or keeps
    /// restarting from byte 0) runs out of attempts; a hard cap of ten times
    /// `maxAttempts` bounds even a server that creeps forward byte by byte.
    private func fetch(_ mirror: URL, into partial: PartialFile, expected: ExpectedContent,
                       meter: ByteMeter) throws -> MirrorResult {
        var failuresWithoutProgress = 0
        var attempts = 0
        var largest = partial.size()
        while true {
            attempts += 1
            let attempt = try transfer(from: mirror, into: partial, expected: expected, meter: meter)
            let problem: String
            var wait: TimeInterval?
            switch attempt {
            case .complete(let resumedBytes):
                switch try verifyAndPublish(partial, expected: expected, source: mirror, resumedBytes: resumedBytes) {
                case .success(let result):
                    return .published(result)
                case .failure(let error) where resumedBytes > 0:
                    // The earlier bytes may belong to another version: retry whole.
                    problem = error.message
                    largest = 0
                case .failure(let error):
                    return .corrupt(error)
                }
            case .retry(let reason, let retryAfter):
                let size = partial.size()
                if size > largest {
                    largest = size
                    failuresWithoutProgress = 0
                }
                problem = reason
                wait = retryAfter
            case .nextMirror(let reason):
                return .failed(reason)
            case .corrupt(let error):
                partial.remove()
                return .corrupt(error)
            }
            failuresWithoutProgress += 1
            if failuresWithoutProgress >= options.maxAttempts || attempts >= options.maxAttempts * 10 {
                return .failed("\(problem) (gave up after \(attempts) attempts, \(failuresWithoutProgress) without progress)")
            }
            let delay = min(options.maxBackoff, max(wait ?? 0, options.backoff(beforeRetry: failuresWithoutProgress)))
            meter.note("retry in \(String(format: "%.1f", delay)) s: \(problem)")
            Thread.sleep(forTimeInterval: delay)
        }
    }

    private enum Attempt {
        /// The partial file holds the whole body; `resumedBytes` of it predate this request.
        case complete(resumedBytes: Int)
        case retry(String, retryAfter: TimeInterval?)
        case nextMirror(String)
        case corrupt(PipelineError)
    }

    private struct BodyTooLong: Error {}

    /// One GET, appending to the partial file or restarting it.
    private func transfer(from source: URL, into partial: PartialFile, expected: ExpectedContent,
                          meter: ByteMeter) throws -> Attempt {
        var offset = partial.size()
        let validator = partial.validator(for: source)
        if offset > 0, let size = expected.size, offset > size { partial.remove(); offset = 0 }
        // Without a validator, only a pinned digest can catch a spliced file.
        if offset > 0, validator == nil, expected.sha256 == nil { partial.remove(); offset = 0 }
        if offset > 0, let size = expected.size, offset == size { return .complete(resumedBytes: offset) }

        var headers: [String: String] = [:]
        if offset > 0 {
            headers["Range"] = "bytes=\(offset)-"
            if let validator { headers["If-Range"] = validator }
        }

        var decision: Attempt?
        var diskError: PipelineError?
        var handle: FileHandle?
        var start = offset
        var total: Int?
        var written = 0
        let outcome = HTTPExchange.perform("GET", source, headers: headers, options: options) { response in
            switch response.status {
            case 206:
                guard offset > 0, let range = response[header: "content-range"].flatMap(ContentRange.init),
                      range.first == offset else {
                    partial.remove()
                    decision = .retry("server sent a range that does not continue the partial file",
                                      retryAfter: nil)
                    return nil
                }
                total = range.total
            case 200:
                start = 0
                total = response[header: "content-length"].flatMap { Int($0) }
            case 416:
                let range = response[header: "content-range"].flatMap(ContentRange.init)
                if offset > 0, range?.total == offset {
                    decision = .complete(resumedBytes: offset)
                } else {
                    partial.remove()
                    decision = .retry("server refused to resume (HTTP 416)", retryAfter: nil)
                }
                return nil
            case 408, 425, 429, 500...599:
                decision = .retry("HTTP \(response.status)",
                                  retryAfter: response[header: "retry-after"].flatMap { TimeInterval($0) })
                return nil
            default:
                decision = .nextMirror(Self.explain(status: response.status))
                return nil
            }
            if let size = expected.size, let total, total != size {
                decision = .corrupt(.integrity("size mismatch: expected \(size) bytes, server has \(total) bytes"
                                               + " at \(source.quoted)", path: partial.destination.path))
                return nil
            }
            do {
                if start == 0 { try partial.restart(source: source, validator: Self.validator(of: response)) }
                handle = try partial.openForAppending()
            } catch let error as PipelineError {
                diskError = error
                return nil
            } catch {
                diskError = .io(error.localizedDescription, path: partial.url.path)
                return nil
            }
            meter.begin(total: total.map { $0 } ?? expected.size, done: start)
            let limit = expected.size ?? total
            return { data in
                if let limit, start + written + data.count > limit { throw BodyTooLong() }
                do { try handle?.write(contentsOf: data) } catch {
                    throw PipelineError.io("write failed: \(error.localizedDescription)", path: partial.url.path)
                }
                written += data.count
                meter.update(done: start + written)
            }
        }
        if let handle {
            do {
                try handle.synchronize()
                try handle.close()
            } catch {
                throw PipelineError.io("cannot flush: \(error.localizedDescription)", path: partial.url.path)
            }
        }
        if let diskError { throw diskError }
        if let decision { return decision }

        switch outcome.failure {
        case .sink(let error as PipelineError)?:
            throw error
        case .sink?:
            let limit = expected.size ?? total ?? 0
            return .corrupt(.integrity("server sent more than the expected \(limit) bytes"
                                       + " from \(source.quoted)", path: partial.destination.path))
        case .timedOut?:
            return .retry("timed out (no data for \(options.requestTimeout) s)", retryAfter: nil)
        case .transport(let message)?:
            return .retry(message, retryAfter: nil)
        case nil:
            break
        }
        guard outcome.response != nil else {
            return .retry("no response", retryAfter: nil)
        }
        let have = partial.size()
        if let total, have != total {
            if have > total { partial.remove() }
            return .retry("connection closed at \(have) of \(total) bytes", retryAfter: nil)
        }
        return .complete(resumedBytes: start)
    }

    private func verifyAndPublish(_ partial: PartialFile, expected: ExpectedContent, source: URL,
                                  resumedBytes: Int) throws -> Result<DownloadResult, PipelineError> {
        let size = partial.size()
        let path = partial.destination.path
        if let expectedSize = expected.size, size != expectedSize {
            partial.remove()
            return .failure(.integrity("size mismatch: expected \(expectedSize) bytes, got \(size) bytes"
                                       + " from \(source.quoted)", path: path))
        }
        let digest = try Digest.sha256(fileAt: partial.url)
        if let expectedDigest = expected.sha256, digest != expectedDigest {
            partial.remove()
            return .failure(.integrity("SHA-256 mismatch: expected \(expectedDigest), got \(digest)"
                                       + " (\(size) bytes from \(source.quoted))", path: path))
        }
        try partial.publish()
        return .success(DownloadResult(destination: partial.destination, size: size, sha256: digest,
                                       source: source, resumedBytes: resumedBytes))
    }

    private func reuseVerified(_ destination: URL, _ expected: ExpectedContent) throws -> DownloadResult? {
        guard let pinned = expected.sha256, FileManager.default.fileExists(atPath: destination.path) else { return nil }
        let attributes = try? FileManager.default.attributesOfItem(atPath: destination.path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        if let expectedSize = expected.size, size != expectedSize { return nil }
        guard try Digest.sha256(fileAt: destination) == pinned else { return nil }
        return DownloadResult(destination: destination, size: size, sha256: pinned, source: nil, resumedBytes: size)
    }

    /// A strong ETag, else Last-Modified: what `If-Range` may carry (RFC 9110 §13.1.5).
    private static func validator(of response: HTTPExchange.Response) -> String? {
        if let tag = response[header: "etag"], !EntityTag.isWeak(tag) { return tag }
        return response[header: "last-modified"]
    }

    static func explain(status: Int) -> String {
        switch status {
        case 401, 403: return "HTTP \(status) (access denied: private or gated resource, or a missing/invalid token)"
        case 404, 410: return "HTTP \(status) (not found)"
        default:
            return "HTTP \(status) (\(HTTPURLResponse.localizedString(forStatusCode: status)))"
        }
    }
}
