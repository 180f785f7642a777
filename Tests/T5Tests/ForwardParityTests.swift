import XCTest
import Kernels
import SafeTensors
@testable import T5

/// Encoder output and decoder logits against transformers on a padded batch of lengths 23/140/6 (the
/// encoder runs unpadded: its rows are compared with transformers' rows that hold real tokens).
final class ForwardParityTests: XCTestCase {
    private func check(model: T5Model, sources: [[Int32]], decoderInput: [[Int32]], encoderKey: String?, logitsKey: String,
                       tolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let encoder = try model.encode(sources)
        if let encoderKey {
            let expected = encoder.validRows(ofPadded: try Fixtures.tensors.floats(encoderKey), width: model.config.dModel)
            XCTAssertEqual(try Fixtures.tensors.info(encoderKey).shape, [encoder.batch, encoder.length, model.config.dModel], file: file, line: line)
            let diff = maxAbsDifference(encoder.hidden.pointer, expected)
            XCTAssertLessThan(diff.value, tolerance, "\(encoderKey) max |diff| at \(diff.index)", file: file, line: line)
        }
        let logits = try model.logits(encoder: encoder, decoderInput: decoderInput)
        let expected = try Fixtures.tensors.floats(logitsKey)
        XCTAssertEqual(logits.count, expected.count, file: file, line: line)
        let diff = maxAbsDifference(logits.pointer, expected)
        XCTAssertLessThan(diff.value, tolerance, "\(logitsKey) max |diff| at \(diff.index)", file: file, line: line)
    }

    func testGatedGeluUntiedModelMatchesTransformers() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        XCTAssertEqual(model.config.feedForward, .gatedGelu)
        XCTAssertFalse(model.config.tieWordEmbeddings)
        let batch = Fixtures.section("batch")
        try check(model: model, sources: Fixtures.ids(batch["sources"]), decoderInput: Fixtures.ids(batch["decoder_input"]),
                  encoderKey: "base.encoder", logitsKey: "base.logits", tolerance: 1e-4)
    }

    func testReLUTiedModelMatchesTransformers() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny_tied_relu"))
        XCTAssertEqual(model.config.feedForward, .relu)
        XCTAssertTrue(model.config.tieWordEmbeddings)
        let tied = Fixtures.section("tied")
        try check(model: model, sources: Fixtures.ids(tied["sources"]), decoderInput: Fixtures.ids(tied["decoder_input"]),
                  encoderKey: "tied.encoder", logitsKey: "tied.logits", tolerance: 1e-4)
    }

    /// bf16 weights: the engine computes in fp32 on bf16-rounded weights, so it matches transformers run
    /// with the same rounded weights to 1e-4 (and differs from the fp32 model by up to ~0.1 in logits).
    func testBF16WeightsMatchRoundedReference() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny"), weightPrecision: .bf16)
        XCTAssertEqual(model.weights.lmHead.precision, .bf16)
        // every matrix is the file's fp32 values rounded once to nearest even, bit for bit
        let f32 = try T5Model.load(directory: Fixtures.path("tiny"), weightPrecision: .f32)
        var pairs = [("lm_head", model.weights.lmHead, f32.weights.lmHead), ("shared", model.weights.embedding, f32.weights.embedding)]
        for (name, projection) in model.weights.projections { pairs.append((name, projection.weight, f32.weights.projections[name]!.weight)) }
        for (name, rounded, original) in pairs {
            XCTAssertEqual(rounded.precision, .bf16, name)
            XCTAssertEqual(rounded.floats().map(\.bitPattern), original.floats().map { bf16ToFloat(floatToBF16($0)).bitPattern }, name)
        }
        let batch = Fixtures.section("batch")
        try check(model: model, sources: Fixtures.ids(batch["sources"]), decoderInput: Fixtures.ids(batch["decoder_input"]),
                  encoderKey: "bf16.encoder", logitsKey: "bf16.logits", tolerance: 1e-4)
    }
}
