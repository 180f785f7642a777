import Failures
import FlyingFox
import Foundation
import Pipeline
import XCTest
@testable import Fetch

/// A fake Hugging Face hub: small files are served directly with a git-style
/// ETag, LFS files answer the resolve URL with a 302 to a "CDN" host (the same
/// server, addressed as `localhost`) and carry their SHA-256 in `X-Linked-Etag`.
final class HuggingFaceFetcherTests: XCTestCase {
    private var directory: URL!
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    static let config = Data(#"{"model_type": "t5", "d_model": 8}"#.utf8)
    static let spiece = testBytes(count: 3_000, seed: 7)
    static let weights = testBytes(count: 120_000, seed: 11)

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("HFTests-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private final class PortBox: @unchecked Sendable { var port: UInt16 = 0 }

    /// `linkedEtag` overrides the digest advertised for model.safetensors.
    private func startHub(linkedEtag: String? = nil, requireToken: String? = nil) async throws -> LocalHTTPServer {
        let lfs: [String: Data] = ["spiece.model": Self.spiece, "model.safetensors": Self.weights]
        // The redirect names the port, which is known only once the server listens.
        let portBox = PortBox()
        let server = try LocalHTTPServer { request in
            let head = request.method == .HEAD
            if request.path.hasPrefix("/cdn/") {
                let name = String(request.path.dropFirst(5))
                guard let body = lfs[name] else { return HTTPResponse(statusCode: .notFound) }
                return HTTPResponse(statusCode: .ok, headers: [HTTPHeader("ETag"): "\"cdn-\(name)\""], body: body)
            }
            let prefix = "/acme/tiny-t5/resolve/\(Self.commit)/"
            guard request.path.hasPrefix(prefix) else { return HTTPResponse(statusCode: .notFound) }
            if let token = requireToken, request.headers[HTTPHeader("Authorization")] != "Bearer \(token)" {
                return HTTPResponse(statusCode: .unauthorized, body: Data("Invalid credentials".utf8))
            }
            let name = String(request.path.dropFirst(prefix.count))
            var headers: HTTPHeaders = [HTTPHeader("X-Repo-Commit"): Self.commit]
            if name == "config.json" {
                headers[HTTPHeader("ETag")] = "\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\""
                headers[HTTPHeader("Content-Length")] = String(Self.config.count)
                return HTTPResponse(statusCode: .ok, headers: headers, body: head ? Data() : Self.config)
            }
            guard let body = lfs[name] else { return HTTPResponse(statusCode: .notFound, headers: headers) }
            let digest = name == "model.safetensors" ? (linkedEtag ?? Digest.sha256(body)) : Digest.sha256(body)
            headers[HTTPHeader("X-Linked-Etag")] = "\"\(digest)\""
            headers[HTTPHeader("X-Linked-Size")] = String(body.count)
            headers[HTTPHeader("Location")] = "http://localhost:\(portBox.port)/cdn/\(name)"
            headers[HTTPHeader("Content-Length")] = "0"
            return HTTPResponse(statusCode: .found, headers: headers)
        }
        try await server.start()
        portBox.port = server.port
        return server
    }

    private func fetcher(_ server: LocalHTTPServer, token: BearerToken? = nil) throws -> HuggingFaceFetcher {
        let repo = try HuggingFaceRepository(id: "acme/tiny-t5", revision: Self.commit,
                                             endpoint: server.url(""))
        return HuggingFaceFetcher(repository: repo, token: token,
                                  options: DownloadOptions(requestTimeout: 5, maxAttempts: 2, initialBackoff: 0.01,
                                                           maxBackoff: 0.05, quiet: true))
    }

    func testFetchesCheckpointAndChecksLFSFilesAgainstLinkedEtag() async throws {
        let server = try await startHub()
        defer { Task { await server.stop() } }
        let fetcher = try fetcher(server, token: BearerToken("hf_testSECRET123"))
        let directory = self.directory!

        let files = try await blocking { try fetcher.fetch(HuggingFaceFile.t5Checkpoint, into: directory) }

        XCTAssertEqual(files.map(\.name), ["config.json", "spiece.model", "model.safetensors"],
                       "optional generation_config.json (404) is skipped")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("config.json")), Self.config)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("model.safetensors")), Self.weights)
        XCTAssertEqual(files.map(\.verifiedAgainstServerDigest), [false, true, true])
        XCTAssertEqual(files[2].sha256, Digest.sha256(Self.weights))
        XCTAssertEqual(files[2].commit, Self.commit)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["config.json", "model.safetensors", "spiece.model"])
        // The token goes to the hub only, never to the CDN host it redirects to.
        let requests = server.requests
        for request in requests where request.path.contains("/resolve/") {
            XCTAssertEqual(request[header: "Authorization"], "Bearer hf_testSECRET123", request.path)
        }
        let cdn = requests.filter { $0.path.hasPrefix("/cdn/") }
        XCTAssertEqual(cdn.count, 2)
        for request in cdn { XCTAssertNil(request[header: "Authorization"], request.path) }
    }

    func testLinkedEtagMismatchIsIntegrityErrorAndModelIsNotPublished() async throws {
        let wrong = String(repeating: "0", count: 64)
        let server = try await startHub(linkedEtag: wrong)
        defer { Task { await server.stop() } }
        let fetcher = try fetcher(server)
        let directory = self.directory!

        do {
            try await blocking { try fetcher.fetch(HuggingFaceFile.t5Checkpoint, into: directory) }
            XCTFail("expected an integrity error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .integrity)
            XCTAssertTrue(error.message.contains(wrong), error.message)
            XCTAssertTrue(error.message.contains(Digest.sha256(Self.weights)), error.message)
        }
        let present = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertFalse(present.contains { $0.hasPrefix("model.safetensors") }, "\(present)")
    }

    func testMissingRequiredFileIsAnError() async throws {
        let server = try await startHub()
        defer { Task { await server.stop() } }
        let fetcher = try fetcher(server)
        let directory = self.directory!

        do {
            try await blocking { try fetcher.fetch([HuggingFaceFile("pytorch_model.bin")], into: directory) }
            XCTFail("expected an error")
        } catch let error as PipelineError {
            XCTAssertEqual(error.status, .network)
            XCTAssertTrue(error.message.contains("pytorch_model.bin"), error.message)
            XCTAssertTrue(error.message.contains("404"), error.message)
        }
    }

    func testTokenIsSentButNeverAppearsInErrors() async throws {
        let secret = "hf_SECRETtokenValue42"
        let server = try await startHub(requireToken: "a-different-token")
        defer { Task { await server.stop() } }
        let fetcher = try fetcher(server, token: BearerToken(secret))
        let directory = self.directory!

        do {
            try await blocking { try fetcher.fetch(HuggingFaceFile.t5Checkpoint, into: directory) }
            XCTFail("expected an access error")
        } catch {
            let text = "\(error) \(String(reflecting: error)) \(error.localizedDescription)"
            XCTAssertTrue(text.contains("401"), text)
            XCTAssertFalse(text.contains(secret), "the token leaked into: \(text)")
            XCTAssertFalse(text.contains("SECRET"), text)
        }
        XCTAssertEqual(server.requests.first?[header: "Authorization"], "Bearer \(secret)")
        // Also not through the fetcher's own description.
        XCTAssertFalse(String(reflecting: fetcher).contains(secret))
        XCTAssertFalse("\(fetcher)".contains(secret))
    }

    func testResolveURLEncodesRevisionLikeHuggingFaceHub() throws {
        let repo = try HuggingFaceRepository(id: "google/flan-t5-base", revision: "refs/pr/1")
        XCTAssertEqual(repo.resolveURL(for: "model.safetensors").absoluteString,
                       "https://huggingface.co/google/flan-t5-base/resolve/refs%2Fpr%2F1/model.safetensors")
        XCTAssertThrowsError(try HuggingFaceRepository(id: "../etc", revision: "main"))
        XCTAssertThrowsError(try HuggingFaceRepository(id: "google/flan t5", revision: "main"))
    }

    func testUnsafeFileNameIsRejected() throws {
        let fetcher = HuggingFaceFetcher(repository: try HuggingFaceRepository(id: "a/b"))
        XCTAssertThrowsError(try fetcher.fetch([HuggingFaceFile("../evil")], into: directory)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .usage)
        }
    }
}
