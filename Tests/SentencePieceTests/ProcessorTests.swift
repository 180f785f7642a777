import Failures
import XCTest
@testable import SentencePiece

final class ProcessorTests: XCTestCase {
    func testT5SpecialIdsAndPieces() throws {
        let sp = try Fixtures.processor("t5.model")
        XCTAssertEqual(sp.vocabularySize, 32_000)
        XCTAssertEqual(sp.padId, 0)
        XCTAssertEqual(sp.eosId, 1)
        XCTAssertEqual(sp.unkId, 2)
        XCTAssertEqual(sp.bosId, -1)
        XCTAssertEqual(sp.idToPiece(8774), "\u{2581}Hello")
        XCTAssertEqual(sp.pieceToId("\u{2581}Hello"), 8774)
        XCTAssertEqual(sp.pieceToId("no such piece"), 2)
        XCTAssertNil(sp.idToPiece(32_000))
    }

    func testNormalizerAppliesCharsmapAndWhitespaceRules() throws {
        // Expected value from sentencepiece 0.2.3: sp.normalize(...) with T5's nmt_nfkc.
        let sp = try Fixtures.processor("t5.model")
        XCTAssertEqual(sp.normalize("  \u{FF28}\u{FF45}\u{FF4C}\u{FF4C}\u{FF4F}\u{00A0}\u{FB01}  w\u{00F6}rld\u{3000}\u{3000}x\t"),
                       "\u{2581}Hello\u{2581}fi\u{2581}w\u{00F6}rld\u{2581}x")
        XCTAssertEqual(sp.normalize(""), "")
        XCTAssertEqual(sp.normalize(" \t "), "")
    }

    func testPiecesAndOffsetsOfAKnownSentence() throws {
        // From sentencepiece 0.2.3: sp.encode(text, return_type="proto").
        let sp = try Fixtures.processor("t5.model")
        let text = "  \u{FF28}\u{FF45}\u{FF4C}\u{FF4C}\u{FF4F}\u{00A0}\u{FB01}  \u{1F600}\u{1F600} x"
        let pieces = sp.encodeWithOffsets(text)
        XCTAssertEqual(pieces.map(\.piece), ["\u{2581}Hello", "\u{2581}fi", "\u{2581}", "\u{1F600}\u{1F600}", "\u{2581}", "x"])
        XCTAssertEqual(pieces.map(\.id), [8774, 361, 3, 2, 3, 226])
        XCTAssertEqual(pieces.map(\.originalRange), [2..<17, 17..<22, 22..<24, 24..<32, 32..<33, 33..<34])
    }

    func testByteFallbackSplitsUnknownCharactersIntoBytePieces() throws {
        let sp = try Fixtures.processor("bytefallback.model")
        let pieces = sp.encodeAsPieces("\u{1F600}")
        XCTAssertTrue(pieces.contains("<0xF0>"), "\(pieces)")
        XCTAssertEqual(try sp.decode(sp.encode("x \u{1F600} y")), "x \u{1F600} y")
        // A lone continuation byte decodes to U+FFFD, as the library does.
        XCTAssertEqual(try sp.decode([sp.pieceToId("<0x80>")]), "\u{FFFD}")
    }

    func testUserDefinedSymbolsAreMatchedWhole() throws {
        let sp = try Fixtures.processor("bytefallback.model")
        let sep = sp.pieceToId("<sep>")
        XCTAssertEqual(sp.type(of: sep), .userDefined)
        XCTAssertTrue(sp.encode("a<sep>b").contains(sep))
    }

    func testControlSymbolsInTextAreNotProduced() throws {
        let sp = try Fixtures.processor("t5.model")
        let ids = sp.encode("</s> <pad> hello </s>")
        XCTAssertFalse(ids.contains(0))
        XCTAssertFalse(ids.contains(1))
    }

    func testDecodeRejectsIdsOutsideTheVocabulary() throws {
        let sp = try Fixtures.processor("t5.model")
        XCTAssertThrowsError(try sp.decode([8774, 32_000])) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .badInput)
        }
        XCTAssertThrowsError(try sp.decode([-1]))
        XCTAssertEqual(try sp.decode([]), "")
        XCTAssertEqual(try sp.decode([2]), " \u{2047} ")
    }
}
