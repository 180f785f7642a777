import XCTest
@testable import SentencePiece

/// Ids, decoded text and offsets identical to the `sentencepiece` library (0.2.3)
/// on the generated corpus, for T5's model and two models trained for the purpose.
final class ParityTests: XCTestCase {
    private func assertIdsMatch(model: String, fixture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let processor = try Fixtures.processor("\(model).model")
        let expected = try Fixtures.idLines("\(fixture).ids")
        let inputs = try Fixtures.lines("corpus.txt")
        XCTAssertGreaterThan(expected.count, 0)
        let workspace = SentencePieceProcessor.Workspace()
        for (index, ids) in expected.enumerated() {
            let ours = processor.encode(inputs[index], workspace: workspace)
            if ours != ids {
                XCTFail("\(model): first differing line \(index + 1): \(Fixtures.show(inputs[index]))\n expected \(ids)\n got      \(ours)",
                        file: file, line: line)
                return
            }
        }
    }

    func testT5IdsMatchLibraryOnEveryCorpusLine() throws {
        XCTAssertGreaterThanOrEqual(try Fixtures.idLines("t5.ids").count, 20_000)
        try assertIdsMatch(model: "t5", fixture: "t5")
    }

    func testByteFallbackModelIdsMatchLibrary() throws {
        let processor = try Fixtures.processor("bytefallback.model")
        XCTAssertTrue(processor.byteFallback)
        XCTAssertFalse(processor.model.trainerSpec.userDefinedSymbols.isEmpty)
        try assertIdsMatch(model: "bytefallback", fixture: "bytefallback")
    }

    func testIdentityModelIdsMatchLibrary() throws {
        let processor = try Fixtures.processor("identity.model")
        XCTAssertEqual(processor.model.normalizerSpec.name, "identity")
        XCTAssertFalse(processor.model.normalizerSpec.addDummyPrefix)
        try assertIdsMatch(model: "identity", fixture: "identity")
    }

    func testMalformedUTF8IsEncodedAsTheLibraryDoes() throws {
        let inputs = try Fixtures.byteLines("invalid_utf8.txt")
        for model in ["t5", "bytefallback", "identity"] {
            let processor = try Fixtures.processor("\(model).model")
            let expected = try Fixtures.idLines("\(model).invalid.ids")
            XCTAssertEqual(expected.count, inputs.count)
            for (index, ids) in expected.enumerated() {
                let ours = Array(inputs[index]).withUnsafeBufferPointer { processor.encode(utf8: $0) }
                XCTAssertEqual(ours, ids, "\(model): invalid-UTF-8 line \(index + 1) \(Array(inputs[index]))")
                if ours != ids { return }
            }
        }
    }

    func testDecodedTextMatchesLibrary() throws {
        for model in ["t5", "bytefallback", "identity"] {
            let processor = try Fixtures.processor("\(model).model")
            let ids = try Fixtures.idLines("\(model).ids")
            let hashes = try Fixtures.lines("\(model).decoded")
            let inputs = try Fixtures.lines("corpus.txt")
            XCTAssertEqual(ids.count, hashes.count)
            for (index, lineIds) in ids.enumerated() {
                let text = try processor.decode(lineIds)
                if Fixtures.fnv1a32(text) != hashes[index] {
                    XCTFail("\(model): decode differs first on line \(index + 1): input \(Fixtures.show(inputs[index]))\n decoded \(Fixtures.show(text))")
                    return
                }
            }
        }
    }

    func testOriginalOffsetsMatchLibrary() throws {
        let inputs = try Fixtures.lines("corpus.txt")
        for model in ["t5", "bytefallback", "identity"] {
            let processor = try Fixtures.processor("\(model).model")
            let expected = try Fixtures.lines("\(model).offsets")
            XCTAssertEqual(expected.count, 300)
            for (index, line) in expected.enumerated() {
                let ours = processor.encodeWithOffsets(inputs[index])
                    .map { "\($0.id):\($0.originalRange.lowerBound):\($0.originalRange.upperBound)" }
                    .joined(separator: " ")
                if ours != line {
                    XCTFail("\(model): offsets differ first on line \(index + 1): \(Fixtures.show(inputs[index]))\n expected \(line)\n got      \(ours)")
                    return
                }
            }
        }
    }

    func testBatchEncodeOnTwoThreadsEqualsSequentialEncode() throws {
        let processor = try Fixtures.processor("t5.model")
        let inputs = Array(try Fixtures.lines("corpus.txt").prefix(3000))
        let expected = Array(try Fixtures.idLines("t5.ids").prefix(3000))
        XCTAssertEqual(processor.encode(batch: inputs, threads: 2), expected)
        XCTAssertEqual(processor.encode(batch: [], threads: 2), [])
    }
}
