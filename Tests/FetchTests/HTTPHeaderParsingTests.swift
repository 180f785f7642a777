import Foundation
import XCTest
@testable import Fetch

final class HTTPHeaderParsingTests: XCTestCase {
    func testContentRange() {
        XCTAssertEqual(ContentRange("bytes 100-199/1000"), ContentRange(first: 100, last: 199, total: 1000))
        XCTAssertEqual(ContentRange("bytes 0-0/*")?.total, nil)
        XCTAssertEqual(ContentRange("bytes */1000"), ContentRange(first: nil, last: nil, total: 1000))
        XCTAssertNil(ContentRange("bytes 200-100/1000"), "last before first")
        XCTAssertNil(ContentRange("bytes 0-1000/1000"), "last beyond the end")
        XCTAssertNil(ContentRange("items 0-1/2"))
        XCTAssertNil(ContentRange("bytes -5-10/20"))
    }

    func testEntityTags() {
        let sha = String(repeating: "aB", count: 32)
        XCTAssertEqual(EntityTag.sha256(from: "\"\(sha)\""), sha.lowercased())
        XCTAssertEqual(EntityTag.sha256(from: "W/\"\(sha)\""), sha.lowercased())
        XCTAssertEqual(EntityTag.sha256(from: sha), sha.lowercased())
        XCTAssertNil(EntityTag.sha256(from: "\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\""), "git blob id, not SHA-256")
        XCTAssertNil(EntityTag.sha256(from: nil))
        XCTAssertTrue(EntityTag.isWeak("W/\"x\""))
        XCTAssertFalse(EntityTag.isWeak("\"x\""))
    }

    func testBearerTokenNeverPrints() throws {
        let token = try XCTUnwrap(BearerToken("hf_abcSECRET"))
        for text in ["\(token)", String(reflecting: token), String(describing: [token]), "\(Optional(token) as Any)"] {
            XCTAssertFalse(text.contains("SECRET"), text)
        }
        var dumped = ""
        dump(token, to: &dumped)
        XCTAssertFalse(dumped.contains("SECRET"), dumped)
        XCTAssertNil(BearerToken("  "))
        XCTAssertNil(BearerToken.fromEnvironment("HF_TOKEN", [:]))
        XCTAssertEqual(BearerToken.fromEnvironment("HF_TOKEN", ["HF_TOKEN": "t0k"])?.headerValue, "Bearer t0k")
    }

    func testBackoffDoublesUpToTheCap() {
        let options = DownloadOptions(initialBackoff: 0.5, maxBackoff: 3)
        XCTAssertEqual((1...5).map { options.backoff(beforeRetry: $0) }, [0.5, 1, 2, 3, 3])
    }

    func testTokenOnlyForListedHosts() {
        let options = DownloadOptions(bearerToken: BearerToken("x"), tokenHosts: ["HuggingFace.co"])
        XCTAssertTrue(options.mayReceiveToken(URL(string: "https://huggingface.co/a")))
        XCTAssertFalse(options.mayReceiveToken(URL(string: "https://cdn-lfs.huggingface.co/a")))
        XCTAssertFalse(options.mayReceiveToken(URL(string: "https://arxiv.org/src/x")))
    }
}
