// QLoRA's nf4 mode against bitsandbytes and PEFT (scripts/fixtures/train_nf4_fixture.py, gated/nf4.*): the 4-bit
// weights byte for byte as transformers + bitsandbytes quantize the gated model loaded in bf16 (in the trainer and
// in the inference engine); the loss and LoRA gradients against the twin (the bf16 twin with those weights
// dequantized: what the nf4 mode computes, within the bf16 twin's tolerances, whose reasons BF16ParityTests gives)
// and against PEFT + bitsandbytes itself (every activation bf16: its direction); three AdamW steps as the twin.
import SafeTensors
import T5
import Training
import XCTest
import Kernels
@testable import T5Training

final class NF4ParityTests: XCTestCase {
    override func tearDown() { BF16GEMM.use(BF16GEMM.detectedImplementation) }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// `t` against the fixture's quant.<module>.* tensors.
    func assertBitsandbytes(_ t: NF4Tensor, module: String, _ expected: SafeTensorsFile, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(t.packed, try expected.uint8s("quant.\(module).packed"), "\(module) codes", file: file, line: line)
        guard case .nested(let codes, let nested, let offset) = t.scales else { return XCTFail("double quantization", file: file, line: line) }
        XCTAssertEqual(codes, try expected.uint8s("quant.\(module).codes"), "\(module) absmax codes", file: file, line: line)
        XCTAssertEqual(bits(nested), bits(try expected.floats("quant.\(module).nested_absmax")), "\(module) nested", file: file, line: line)
        XCTAssertEqual(offset.bitPattern, try expected.floats("quant.\(module).offset")[0].bitPattern, "\(module) offset", file: file, line: line)
        var bf16 = [UInt16](repeating: 0, count: t.count)
        bf16.withUnsafeMutableBufferPointer { t.dequantize(0..<t.count, into: $0.baseAddress!) }
        XCTAssertEqual(bf16.withUnsafeBytes { Array($0) }, Array(try expected.rawBytes("quant.\(module).dequantized")),
                       "\(module) dequantized", file: file, line: line)
    }

    func testTheFourBitWeightsAreBitsandbytesInTrainingAndGeneration() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("nf4")
        let quantized = Set(json["quantized_modules"] as! [String])
        XCTAssertEqual(quantized.count, 2 * 6 + 2 * 10, "q k v o wi_0 wi_1 in 2 encoder blocks, self and cross q k v o + wi_0 wi_1 in 2 decoder blocks")

        let model = try golden.makeLoRAModel(threads: 2, precision: .nf4)
        XCTAssertEqual(Set(model.weights.linears.filter { $0.nf4 != nil }.map(\.path)), quantized)
        for layer in model.weights.linears + [model.weights.lmHead] where layer.nf4 == nil {
            XCTAssertNotNil(layer.bf16, "\(layer.path) is bf16, as in the bf16 mode")
        }
        for layer in model.weights.linears { if let t = layer.nf4 { try assertBitsandbytes(t, module: layer.path, expected) } }

        let inference = try T5Model.load(directory: golden.directory, weightPrecision: .nf4)
        for (name, projection) in inference.weights.projections {
            guard quantized.contains(name) else {
                XCTAssertEqual(projection.weight.precision, .bf16, name)
                continue
            }
            let t = try XCTUnwrap(projection.weight.nf4, "\(name) is not NF4")
            try assertBitsandbytes(t, module: name, expected)
        }
        XCTAssertEqual(inference.weights.lmHead.precision, .bf16)
    }

    func testLossAndGradientsMatchTheTwinAndFollowBitsandbytes() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("nf4")
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            let model = try golden.makeLoRAModel(threads: 2, precision: .nf4)
            model.zeroGradients()
            let loss = try model.forwardBackward(golden.batch)
            XCTAssertEqual(Double(loss), json["loss"] as! Double, accuracy: 2e-3, "\(implementation)")
            let names = model.trainableParameters.map(\.name)
            XCTAssertEqual(names.count, json["n_tensors"] as? Int)
            let ours = names.flatMap { name in model.trainableParameters.first { $0.name == name }!.gradients! }
            let twin = try names.flatMap { try expected.floats("grad." + $0) }
            let bnb = try names.flatMap { try expected.floats("bnb.grad." + $0) }
            let bf16Twin = try names.flatMap { try golden.companion("bf16").1.floats("grad." + $0) }
            let toTwin = Fixture.relativeError(ours, twin)
            XCTAssertLessThan(toTwin, 6e-3, "\(implementation): gradients against the twin")
            XCTAssertGreaterThan(Fixture.relativeError(ours, bf16Twin), 2 * toTwin, "\(implementation): the 4-bit weights must show")
            XCTAssertGreaterThan(Fixture.cosine(ours, bnb), 0.999, "\(implementation): cosine against PEFT + bitsandbytes")
            // PEFT + bitsandbytes' loss is itself bf16 (its logits are): within one bf16 step at 9 (2⁻⁴)
            XCTAssertEqual(Double(loss), json["bnb_loss"] as! Double, accuracy: 0.0625, "\(implementation): PEFT + bitsandbytes' bf16 loss")
            print("nf4 parity (\(implementation)): loss \(loss) (twin \(json["loss"]!), bitsandbytes \(json["bnb_loss"]!)); "
                  + "gradients ‖ours − twin‖/‖twin‖ \(toTwin), cosine to bitsandbytes \(Fixture.cosine(ours, bnb))")
        }
    }

    func testThreeAdamWStepsFollowTheTwin() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("nf4")
        let model = try golden.makeLoRAModel(threads: 2, precision: .nf4)
        let params = model.trainableParameters
        let initial = params.map(\.values)
        try takeThreeAdamWSteps(model, golden.batch, losses: json["step_losses"] as! [Double], norms: json["grad_norms"] as! [Double],
                                lossAccuracy: { _ in 3e-3 }, normAccuracy: { 6e-3 * $0 })
        let ours = zip(params, initial).flatMap { p, start in zip(p.values, start).map { $0 - $1 } }
        let twin = try zip(params, initial).flatMap { p, start in zip(try expected.floats("step3." + p.name), start).map { $0 - $1 } }
        XCTAssertLessThan(Fixture.relativeError(ours, twin), 0.08, "the three steps' update")
        XCTAssertEqual(Double(try model.loss(golden.batch)), json["loss_after"] as! Double, accuracy: 3e-3)
    }

    func testFullFineTuneIsRefusedInNF4() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        XCTAssertThrowsError(try golden.makeModel(.full, precision: .nf4))
    }
}
