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

    /// The bf16 mode: every base tensor rounded to bf16 once, and each frozen product's input rounded to bf16 with
    /// fp32 sums. It matches its exact twin, transformers in fp32 on the rounded weights with each linear's input
    /// rounded (scripts/fixtures/t5_bf16_fixture.py), on the emulation and on oneDNN's kernels where the CPU has
    /// them; the rounding of the inputs is visible (the weights-only reference, bf16.*, is farther than the bound).
    /// The bound is wider than fp32's 1e-4: a summation-order difference that flips one input's rounding moves a
    /// product by 2⁻⁸ of that term (logits up to 13 here), so logits are compared by relative norm.
    func testBF16ModeMatchesItsTwin() throws {
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
        XCTAssertEqual(model.weights.encoderFinalNorm, f32.weights.encoderFinalNorm.map { bf16ToFloat(floatToBF16($0)) })
        let twin = try SafeTensorsFile(path: Fixtures.path("bf16_twin.safetensors"))
        let batch = Fixtures.section("batch")
        defer { BF16GEMM.use(BF16GEMM.detectedImplementation) }
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            let logits = try model.logits(encoder: try model.encode(Fixtures.ids(batch["sources"])),
                                          decoderInput: Fixtures.ids(batch["decoder_input"]))
            let ours = Array(UnsafeBufferPointer(start: logits.pointer, count: logits.count))
            let toTwin = relativeError(ours, try twin.floats("twin.logits"))
            let toWeightsOnly = relativeError(ours, try Fixtures.tensors.floats("bf16.logits"))
            let toFP32 = relativeError(ours, try Fixtures.tensors.floats("base.logits"))
            print("bf16 mode (\(implementation)): logits ‖ours − twin‖/‖twin‖ \(toTwin), to weights-only rounding \(toWeightsOnly), to fp32 \(toFP32)")
            // measured: emulation 4.1e-4, oneDNN (Zen 4) 1.9e-3; weights-only rounding 4.8e-3, fp32 6.8e-3
            XCTAssertLessThan(toTwin, 3e-3, "\(implementation): logits against the twin")
            XCTAssertLessThan(toTwin, 0.6 * toWeightsOnly, "\(implementation): the inputs must be rounded too")
            XCTAssertLessThan(toTwin, 0.6 * toFP32, "\(implementation): closer to fp32 than to the twin")
            let encoder = try model.encode(Fixtures.ids(batch["sources"]))
            let expected = encoder.validRows(ofPadded: try twin.floats("twin.encoder"), width: model.config.dModel)
            XCTAssertLessThan(maxAbsDifference(encoder.hidden.pointer, expected).value, 2e-2, "\(implementation): encoder output")
        }
    }

    /// ‖a − b‖ / ‖b‖ in Double.
    private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var diff = 0.0, norm = 0.0
        for i in a.indices {
            diff += Double(a[i] - b[i]) * Double(a[i] - b[i])
            norm += Double(b[i]) * Double(b[i])
        }
        return (diff / max(norm, 1e-300)).squareRoot()
    }
}
