import XCTest
@testable import SentencePiece

/// T5 conventions as Hugging Face's T5Tokenizer (transformers 5.24) applies them.
final class T5TokenizerTests: XCTestCase {
    private func tokenizer() throws -> T5Tokenizer { try T5Tokenizer(processor: Fixtures.processor("t5.model")) }

    func testLoadingFromAPath() throws {
        XCTAssertEqual(try T5Tokenizer(path: Fixtures.path("t5.model")).vocabularySize, 32_100)
        XCTAssertThrowsError(try T5Tokenizer(path: "/nonexistent/spiece.model")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/spiece.model: "), "\(error)")
        }
    }

    func testEosIsAppended() throws {
        let t5 = try tokenizer()
        let (ids, truncated) = t5.encode("Hello world")
        XCTAssertEqual(ids, [8774, 296, 1])
        XCTAssertFalse(truncated)
        XCTAssertEqual(t5.encode("").ids, [1])
    }

    func testTruncationKeepsEos() throws {
        // HF: tok("Hello world again", max_length=3, truncation=True) -> [8774, 296, 1]; max_length=1 -> [1].
        let t5 = try tokenizer()
        let cut = t5.encode("Hello world again", maxLength: 3)
        XCTAssertEqual(cut.ids, [8774, 296, 1])
        XCTAssertTrue(cut.truncated)
        XCTAssertEqual(t5.encode("Hello", maxLength: 1).ids, [1])
        XCTAssertFalse(t5.encode("Hello world", maxLength: 3).truncated)
    }

    func testSentinelIds() throws {
        let t5 = try tokenizer()
        XCTAssertEqual(t5.vocabularySize, 32_100)
        XCTAssertEqual(t5.sentinelId(0), 32_099)
        XCTAssertEqual(t5.sentinelId(99), 32_000)
        XCTAssertEqual(t5.sentinelIndex(of: 32_098), 1)
        XCTAssertNil(t5.sentinelIndex(of: 31_999))
        XCTAssertNil(t5.sentinelIndex(of: 32_100))
    }

    func testDecodeSkipsSpecialTokens() throws {
        // HF: tok.decode([8774, 32099, 296, 1], skip_special_tokens=True) == "Hello world".
        let t5 = try tokenizer()
        XCTAssertEqual(try t5.decode([8774, 32_099, 296, 1, 0, 0]), "Hello world")
        XCTAssertEqual(try t5.decode([0, -100, 8774]), "Hello")
    }

    func testBatchEncodeEqualsSingleEncode() throws {
        let t5 = try tokenizer()
        let texts = ["Summarize the following conversation.", "Amanda: I baked cookies. Do you want some?\r", ""]
        let batch = t5.encode(batch: texts, maxLength: 5, threads: 2)
        XCTAssertEqual(batch.map(\.ids), texts.map { t5.encode($0, maxLength: 5).ids })
    }

    func testNonT5ModelIsRefused() throws {
        XCTAssertThrowsError(try T5Tokenizer(processor: Fixtures.processor("identity.model")))
    }
}
