// Loss, LoRA gradients and full-fine-tune gradients against transformers + PEFT on tiny random models.
import XCTest
import SafeTensors
@testable import T5Training

final class PEFTParityTests: XCTestCase {
    func checkLoRAGradients(_ name: String, golden batch: String = "golden", threads: Int = 1) throws {
        let golden = try Fixture.load(name, golden: batch)
        let model = try golden.makeLoRAModel(threads: threads)
        XCTAssertEqual(model.trainableParameters.count, (golden.json["lora"] as! [String: Any])["n_tensors"] as? Int)
        model.zeroGradients()
        let loss = try model.forwardBackward(golden.batch)
        let reference = (golden.json["lora"] as! [String: Any])["loss"] as! Double
        XCTAssertEqual(Double(loss), reference, accuracy: 1e-5 * abs(reference), "\(name) LoRA loss")
        for p in model.trainableParameters {
            let expected = try golden.floats("grad." + p.name)
            let error = Fixture.relativeError(p.gradients!, expected)
            XCTAssertLessThan(error, 1e-4, "\(name) gradient of \(p.name)")
        }
        let referenceNorm = (golden.json["lora"] as! [String: Any])["grad_norm"] as! Double
        XCTAssertEqual(Double(model.gradientNorm()), referenceNorm, accuracy: 1e-4 * referenceNorm)
    }

    func testGatedLoRALossAndGradientsMatchPEFT() throws { try checkLoRAGradients("gated") }

    func testTiedReLULoRAOnAllLinearsMatchesPEFT() throws { try checkLoRAGradients("tied") }

    /// Lengths 31/509/3/170/88 padded to 509 by PyTorch, unpadded here; 2 threads claim the ragged heads.
    func testRaggedBatchLoRALossAndGradientsMatchPaddedPEFT() throws {
        try checkLoRAGradients("gated", golden: "ragged", threads: 2)
    }

    func testRaggedBatchFullFineTuneGradientsMatchPaddedTorch() throws { try checkFullGradients("gated", golden: "ragged") }

    func checkFullGradients(_ name: String, golden batch: String = "golden") throws {
        let golden = try Fixture.load(name, golden: batch)
        let model = try golden.makeModel(.full)
        model.zeroGradients()
        let loss = try model.forwardBackward(golden.batch)
        let reference = golden.json["base_loss"] as! Double
        XCTAssertEqual(Double(loss), reference, accuracy: 1e-5 * abs(reference), "\(name) base loss")
        let params = model.trainableParameters
        XCTAssertEqual(params.count, golden.tensors.names.filter { $0.hasPrefix("full.") }.count)
        for p in params {
            let expected = try golden.floats("full." + p.name)
            let error = Fixture.relativeError(p.gradients!, expected)
            XCTAssertLessThan(error, 1e-4, "\(name) full gradient of \(p.name)")
        }
    }

    func testGatedFullFineTuneGradientsMatchTorch() throws { try checkFullGradients("gated") }

    func testTiedReLUFullFineTuneGradientsMatchTorch() throws { try checkFullGradients("tied") }

    func testEvalLossEqualsTrainingLossWithoutDropout() throws {
        let golden = try Fixture.load("gated")
        let model = try golden.makeModel(.full, dropoutRate: 0.1)
        let eval = try model.loss(golden.batch)
        XCTAssertEqual(Double(eval), golden.json["base_loss"] as! Double, accuracy: 1e-5 * 9.2)
        let train = try model.forwardBackward(golden.batch)
        XCTAssertNotEqual(train, eval, "dropout 0.1 must change the training loss")
    }
}
