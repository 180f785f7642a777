import Kernels
import Failures
import TestSupport
import XCTest
@testable import SentencePiece

/// Corrupt, truncated and unsupported model files give one-line errors, never a crash.
final class ModelLoadingTests: XCTestCase {
    func testMissingFileIsAMissingInputErrorNamingThePath() {
        XCTAssertThrowsError(try SentencePieceProcessor(path: "/nonexistent/spiece.model")) { error in
            let e = error as? PipelineError
            XCTAssertEqual(e?.status, .missingInput)
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/spiece.model: "), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testEveryTruncationOfASmallModelFailsCleanly() throws {
        let bytes = try Fixtures.bytes("identity.model")
        var failures = 0
        // Every cut point in the header region, then a stride through the rest.
        let cuts = Array(0..<min(bytes.count, 600)) + Array(stride(from: 600, to: bytes.count, by: 7))
        for cut in cuts {
            do {
                _ = try SentencePieceProcessor(serialized: Array(bytes[..<cut]), path: "identity.model")
            } catch let error as PipelineError {
                failures += 1
                XCTAssertTrue(error.description.hasPrefix("identity.model: "))
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
        // Cutting mid-field must be detected; only cuts on field boundaries can still parse.
        XCTAssertGreaterThan(failures, cuts.count / 2)
    }

    func testRandomByteCorruptionNeverCrashes() throws {
        // The small model: its structure bytes are dense enough for random hits to matter.
        let original = try Fixtures.bytes("identity.model")
        var rng = SplitMix64(seed: 42)
        var errors = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<8 {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                let sp = try SentencePieceProcessor(serialized: bytes)
                _ = sp.encode("Hello world, ﬁne 😀 ｗｏｒｌｄ")
            } catch is PipelineError {
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 0, "no corruption was detected")
    }

    func testHugeLengthPrefixIsRejectedWithoutAllocating() {
        // Field 1 (pieces), length 2^62: far past the end of the buffer.
        let bytes: [UInt8] = [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]
        XCTAssertThrowsError(try SentencePieceProcessor(serialized: bytes, path: "x.model")) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .badInput)
            XCTAssertTrue("\(error)".contains("past the end"), "\(error)")
        }
    }

    func testModelsWithoutUnknownPieceOrOfOtherTypesAreRefused() throws {
        var model = try ModelProto(serialized: Fixtures.bytes("identity.model"))
        model.trainerSpec.modelType = .bpe
        XCTAssertThrowsError(try SentencePieceProcessor(model: model)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .badInput)
        }
        model.trainerSpec.modelType = .unigram
        model.pieces.removeAll { $0.type == .unknown }
        XCTAssertThrowsError(try SentencePieceProcessor(model: model))
        XCTAssertThrowsError(try SentencePieceProcessor(model: ModelProto()))
    }

    func testCorruptCharsmapIsAnError() throws {
        var model = try ModelProto(serialized: Fixtures.bytes("t5.model"))
        model.normalizerSpec.precompiledCharsmap = [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]
        XCTAssertThrowsError(try SentencePieceProcessor(model: model)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .badInput)
        }
    }

    func testCorruptCharsmapContentNeverReadsOutOfBounds() throws {
        // Random units and replacement offsets: the normaliser must stay in bounds
        // (debug builds trap on any out-of-range access).
        let spec = try ModelProto(serialized: Fixtures.bytes("t5.model")).normalizerSpec
        let lines = Array(try Fixtures.lines("corpus.txt").prefix(150))
        var rng = SplitMix64(seed: 7)
        var normalizedSomething = false
        for _ in 0..<20 {
            var corrupt = spec
            for _ in 0..<200 {
                let i = 4 + Int(rng.next() % UInt64(corrupt.precompiledCharsmap.count - 4))
                corrupt.precompiledCharsmap[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            let normalizer = try Normalizer(spec: corrupt)
            for line in lines where !normalizer.normalize(line).normalized.isEmpty { normalizedSomething = true }
        }
        XCTAssertTrue(normalizedSomething)
    }

    func testByteFallbackWithoutAllBytePiecesIsRefused() throws {
        var model = try ModelProto(serialized: Fixtures.bytes("bytefallback.model"))
        XCTAssertNoThrow(try SentencePieceProcessor(model: model))
        model.pieces.removeAll { $0.text == "<0x41>" }
        XCTAssertThrowsError(try SentencePieceProcessor(model: model))
    }
}
