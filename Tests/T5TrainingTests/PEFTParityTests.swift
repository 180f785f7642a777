// Loss, LoRA gradients and full-fine-tune gradients against transformers + PEFT on tiny random models.
import XCTest
import SafeTensors
@testable import T5Training

final class PEFTParityTests: XCTestCase {
    func loraModel(_ golden: Fixture.Golden) throws -> T5TrainingModel {
        let lora = golden.json["lora"] as! [String: Any]
        let cfg = lora["config"] as! [String: Any]
        let settings = LoRASettings(rank: cfg["r"] as! Int, alpha: Float(cfg["lora_alpha"] as! Int), dropout: 0,
                                    targetModules: cfg["target_modules"] as! [String])
        let model = try golden.makeModel(.lora(settings))
        var initial: [String: [Float]] = [:]
        for name in golden.tensors.names where name.hasPrefix("init.") {
            initial[String(name.dropFirst(5))] = try golden.floats(name)
        }
        XCTAssertEqual(initial.count, lora["n_tensors"] as? Int)
        try model.setLoRA(initial, source: golden.directory)
        return model
    }

    func checkLoRAGradients(_ name: String) throws {
        let golden = try Fixture.load(name)
        let model = try loraModel(golden)
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

    func checkFullGradients(_ name: String) throws {
        let golden = try Fixture.load(name)
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
