import Failures
import FlyingFox
import Foundation
import Pipeline
import XCTest
@testable import Fetch

final class DownloaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("FetchTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func fastOptions(timeout: TimeInterval = 5, attempts: Int = 3) -> DownloadOptions {
        DownloadOptions(requestTimeout: timeout, maxAttempts: attempts, initialBackoff: 0.01, maxBackoff: 0.05,
                        quiet: true)
    }

    private func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Serves `payload` at any path, honouring `Range` (206) like a real file server.
    private static func rangeServing(_ payload: Data, etag: String = "\"v1\"") -> @Sendable (HTTPRequest) async throws -> HTTPResponse {
        return { request in
            if let range = request.headers[HTTPHeader("Range")], range.hasPrefix("bytes="),
               let start = Int(range.dropFirst(6).dropLast()), start < payload.count {
                let ifRange = request.headers[HTTPHeader("If-Range")]
                if ifRange == nil || ifRange == etag {
                    return HTTPResponse(statusCode: .partialContent,
                                        headers: [HTTPHeader("Content-Range"): "bytes \(start)-\(payload.count - 1)/\(payload.count)",
                                                  HTTPHeader("ETag"): etag],
                                        body: payload.subdata(in: start..<payload.count))
                }
            }
            return HTTPResponse(statusCode: .ok, headers: [HTTPHeader("ETag"): etag], body: payload)
        }
    }

    func testFullDownloadIsVerifiedAndPublished() async throws {
        let payload = testBytes(count: 300_000)
        let server = try LocalHTTPServer(handler: Self.rangeServing(payload))
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("corpus.7z")
        let expected = ExpectedContent(size: payload.count, sha256: Digest.sha256(payload))
        let options = fastOptions()
        let url = server.url("/corpus.7z")

        let result = try await blocking {
            try Downloader(options: options).download(from: [url], to: destination, expecting: expected)
        }

        XCTAssertEqual(try Data(contentsOf: destination), payload)
        XCTAssertEqual(result.sha256, Digest.sha256(payload))
        XCTAssertEqual(result.size, payload.count)
        XCTAssertEqual(result.source, url)
        XCTAssertEqual(result.resumedBytes, 0)
        XCTAssertEqual(try leftovers(), ["corpus.7z"], "no partial or validator file left behind")
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request[header: "User-Agent"], DownloadOptions.defaultUserAgent)
        XCTAssertNil(request[header: "Authorization"])
        XCTAssertNil(request[header: "Range"])
    }

    func testResumesWithRangeAfterConnectionCutMidFile() async throws {
        let payload = testBytes(count: 200_000)
        let half = payload.count / 2
        let serveRanges = Self.rangeServing(payload)
        let server = try LocalHTTPServer { request in
            if request.headers[HTTPHeader("Range")] == nil {
                // First request: headers promise the whole file, the body stops halfway.
                return HTTPResponse(statusCode: .ok, headers: [HTTPHeader("ETag"): "\"v1\""],
                                    body: MisbehavingBody.cut(after: payload.prefix(half), declaredCount: payload.count))
            }
            return try await serveRanges(request)
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("model.bin")
        let expected = ExpectedContent(size: payload.count, sha256: Digest.sha256(payload))
        let options = fastOptions()
        let url = server.url("/model.bin")

        let result = try await blocking {
            try Downloader(options: options).download(from: [url], to: destination, expecting: expected)
        }

        XCTAssertEqual(try Data(contentsOf: destination), payload)
        XCTAssertGreaterThan(result.resumedBytes, 0)
        XCTAssertLessThan(result.resumedBytes, payload.count)
        let requests = server.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests.last?[header: "Range"], "bytes=\(result.resumedBytes)-")
        XCTAssertEqual(requests.last?[header: "If-Range"], "\"v1\"")
        XCTAssertEqual(try leftovers(), ["model.bin"])
    }

    func testResumesPartialFileFromEarlierRunAndRestartsWhenServerIgnoresRange() async throws {
        let payload = testBytes(count: 50_000)
        let url: URL
        // A server that ignores Range must cause a restart from byte 0 (200, not 206).
        let server = try LocalHTTPServer { _ in HTTPResponse(statusCode: .ok, body: payload) }
        try await server.start()
        defer { Task { await server.stop() } }
        url = server.url("/file")
        let destination = directory.appendingPathComponent("file")
        // An earlier run left 10,000 wrong bytes behind.
        try Data(repeating: 0xEE, count: 10_000).write(to: URL(fileURLWithPath: destination.path + ".partial"))
        let expected = ExpectedContent(size: payload.count, sha256: Digest.sha256(payload))
        let options = fastOptions()

        let result = try await blocking {
            try Downloader(options: options).download(from: [url], to: destination, expecting: expected)
        }

        XCTAssertEqual(try Data(contentsOf: destination), payload)
        XCTAssertEqual(result.resumedBytes, 0)
        XCTAssertEqual(server.requests.first?[header: "Range"], "bytes=10000-")
    }

    func testServerThatAlwaysCutsAtTheSamePointRunsOutOfAttempts() async throws {
        // Ignores Range and cuts every response halfway: each attempt writes bytes
        // but the file never grows past half, so this must end, not loop forever.
        let payload = testBytes(count: 20_000)
        let server = try LocalHTTPServer { _ in
            HTTPResponse(statusCode: .ok, body: MisbehavingBody.cut(after: payload.prefix(10_000),
                                                                    declaredCount: payload.count))
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("cut")
        let options = fastOptions(attempts: 3)
        let url = server.url("/cut")

        do {
            try await blocking {
                try Downloader(options: options).download(from: [url], to: destination,
                                                          expecting: ExpectedContent(size: payload.count))
            }
            XCTFail("expected a network error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .network)
            XCTAssertTrue(error.message.contains("without progress"), error.message)
        }
        XCTAssertLessThanOrEqual(server.requests.count, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination.path))
    }

    func testNotFoundFallsBackToNextMirror() async throws {
        let payload = testBytes(count: 10_000)
        let server = try LocalHTTPServer { request in
            request.path == "/mirror-b/corpus.7z" ? HTTPResponse(statusCode: .ok, body: payload)
                                                  : HTTPResponse(statusCode: .notFound, body: Data("nope".utf8))
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("corpus.7z")
        let mirrors = [server.url("/mirror-a/corpus.7z"), server.url("/mirror-b/corpus.7z")]
        let options = fastOptions()

        let result = try await blocking {
            try Downloader(options: options).download(from: mirrors, to: destination,
                                                      expecting: ExpectedContent(size: payload.count))
        }

        XCTAssertEqual(result.source, mirrors[1])
        XCTAssertEqual(try Data(contentsOf: destination), payload)
        // 404 is final for a mirror: exactly one request each, no retries.
        XCTAssertEqual(server.requests.map(\.path), ["/mirror-a/corpus.7z", "/mirror-b/corpus.7z"])
    }

    func testAllMirrorsMissingIsNetworkErrorNamingEachMirror() async throws {
        let server = try LocalHTTPServer { _ in HTTPResponse(statusCode: .notFound) }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("x")
        let mirrors = [server.url("/a"), server.url("/b")]
        let options = fastOptions()

        do {
            try await blocking { try Downloader(options: options).download(from: mirrors, to: destination) }
            XCTFail("expected an error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .network)
            XCTAssertTrue(error.description.contains("/a: HTTP 404"), error.description)
            XCTAssertTrue(error.description.contains("/b: HTTP 404"), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
        XCTAssertEqual(try leftovers(), [])
    }

    /// Issue 33, item 16: a password in a mirror's URL is never echoed in error or retry lines.
    func testCredentialsInAMirrorURLAreNotEchoed() async throws {
        let server = try LocalHTTPServer { _ in HTTPResponse(statusCode: .notFound) }
        try await server.start()
        defer { Task { await server.stop() } }
        let plain = server.url("/a").absoluteString
        let mirror = URL(string: plain.replacingOccurrences(of: "http://", with: "http://someone:s3cret@"))!
        let destination = directory.appendingPathComponent("x"), options = fastOptions()
        do {
            try await blocking { try Downloader(options: options).download(from: [mirror], to: destination) }
            XCTFail("expected an error")
        } catch let error as PipelineError {
            XCTAssertFalse(error.description.contains("s3cret"), error.description)
            XCTAssertTrue(error.description.contains("http://***@127.0.0.1"), error.description)
        }
        XCTAssertEqual(redactingURLCredentials("retry: https://u:p@host/x and ftp://me@h2/y, mail a@b.c, http://host/z@w"),
                       "retry: https://***@host/x and ftp://***@h2/y, mail a@b.c, http://host/z@w")
    }

    func testWrongChecksumIsIntegrityErrorAndNothingIsPublished() async throws {
        let payload = testBytes(count: 40_000)
        let server = try LocalHTTPServer(handler: Self.rangeServing(payload))
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("corpus.7z")
        let pinned = String(repeating: "ab", count: 32)
        let options = fastOptions()
        let url = server.url("/corpus.7z")

        do {
            try await blocking {
                try Downloader(options: options).download(from: [url], to: destination,
                                                          expecting: ExpectedContent(size: payload.count, sha256: pinned))
            }
            XCTFail("expected an integrity error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .integrity)
            XCTAssertTrue(error.description.contains(pinned), "names the expected digest: \(error)")
            XCTAssertTrue(error.description.contains(Digest.sha256(payload)), "names the actual digest: \(error)")
        }
        // The wrong bytes are deleted: resuming them could never produce the pinned file.
        XCTAssertEqual(try leftovers(), [])
        XCTAssertEqual(server.requests.count, 1, "a complete but wrong body is not retried from the same mirror")
    }

    func testServerSizeDifferentFromPinnedSizeStopsBeforeDownloading() async throws {
        let payload = testBytes(count: 40_000)
        let server = try LocalHTTPServer(handler: Self.rangeServing(payload))
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("f")
        let options = fastOptions()
        let url = server.url("/f")

        do {
            try await blocking {
                try Downloader(options: options).download(from: [url], to: destination,
                                                          expecting: ExpectedContent(size: 1234))
            }
            XCTFail("expected an integrity error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .integrity)
            XCTAssertTrue(error.message.contains("expected 1234 bytes"), error.message)
            XCTAssertTrue(error.message.contains("40000"), error.message)
        }
        XCTAssertEqual(try leftovers(), [])
    }

    func testStalledServerTimesOutAndFailsAfterRetries() async throws {
        let server = try LocalHTTPServer { _ in
            try await Task.sleep(nanoseconds: 3_000_000_000)
            return HTTPResponse(statusCode: .ok, body: Data("late".utf8))
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("slow")
        let options = fastOptions(timeout: 0.4, attempts: 2)
        let url = server.url("/slow")

        do {
            try await blocking { try Downloader(options: options).download(from: [url], to: destination) }
            XCTFail("expected a timeout")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .network)
            XCTAssertTrue(error.message.contains("timed out"), error.message)
            XCTAssertTrue(error.message.contains("2 attempts"), error.message)
        }
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination.path))
    }

    func testSlowButSteadyTransferIsNotATimeout() async throws {
        // The timeout is an idle limit: 8 chunks 0.15 s apart take longer than the
        // 0.5 s timeout in total but never leave the connection idle that long.
        let payload = testBytes(count: 8_000)
        let server = try LocalHTTPServer { _ in
            HTTPResponse(statusCode: .ok, body: MisbehavingBody.trickle(payload, chunks: 8, gap: 0.15))
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("steady")
        let options = fastOptions(timeout: 0.5, attempts: 1)
        let url = server.url("/steady")

        let result = try await blocking { try Downloader(options: options).download(from: [url], to: destination) }

        XCTAssertEqual(result.sha256, Digest.sha256(payload))
        XCTAssertEqual(server.requests.count, 1)
    }

    func testServerErrorIsRetriedWithBackoff() async throws {
        let payload = testBytes(count: 5_000)
        let server = try LocalHTTPServer { [counter = Counter()] _ in
            counter.next() < 2 ? HTTPResponse(statusCode: .serviceUnavailable) : HTTPResponse(statusCode: .ok, body: payload)
        }
        try await server.start()
        defer { Task { await server.stop() } }
        let destination = directory.appendingPathComponent("flaky")
        let options = fastOptions(attempts: 3)
        let url = server.url("/flaky")

        let result = try await blocking { try Downloader(options: options).download(from: [url], to: destination) }

        XCTAssertEqual(result.sha256, Digest.sha256(payload))
        XCTAssertEqual(server.requests.count, 3)
    }

    func testVerifiedDestinationIsReusedWithoutNetwork() throws {
        let payload = testBytes(count: 1_000)
        let destination = directory.appendingPathComponent("cached")
        try payload.write(to: destination)
        // Port 9 (discard) on loopback: any request would fail.
        let result = try Downloader(options: fastOptions(attempts: 1)).download(
            from: [URL(string: "http://127.0.0.1:9/never")!], to: destination,
            expecting: ExpectedContent(size: payload.count, sha256: Digest.sha256(payload)))
        XCTAssertNil(result.source)
        XCTAssertEqual(result.sha256, Digest.sha256(payload))
    }

    func testLocalFileVerificationNamesBothDigests() throws {
        let payload = testBytes(count: 777)
        let file = directory.appendingPathComponent("local.7z")
        try payload.write(to: file)
        let actual = Digest.sha256(payload)
        let checked = try ExpectedContent(size: 777, sha256: actual.uppercased()).verify(fileAt: file)
        XCTAssertEqual(checked.sha256, actual)
        XCTAssertEqual(checked.size, 777)
        let pinned = String(repeating: "1", count: 64)
        XCTAssertThrowsError(try ExpectedContent(sha256: pinned).verify(fileAt: file)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .integrity)
            XCTAssertEqual((error as? PipelineError)?.description,
                           "\(file.path): SHA-256 mismatch: expected \(pinned), got \(actual)")
        }
        XCTAssertThrowsError(try ExpectedContent(size: 778).verify(fileAt: file)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .integrity)
        }
        XCTAssertThrowsError(try ExpectedContent().verify(fileAt: directory.appendingPathComponent("none"))) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .missingInput)
        }
    }

    func testMalformedPinnedDigestIsUsageError() {
        XCTAssertThrowsError(try Downloader().download(from: [URL(string: "http://127.0.0.1:9/x")!],
                                                       to: directory.appendingPathComponent("x"),
                                                       expecting: ExpectedContent(sha256: "xyz"))) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .usage)
        }
    }
}

/// A thread-safe request counter for handlers that change behaviour over time.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
}
