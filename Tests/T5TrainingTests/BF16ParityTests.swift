// The bf16 mode against its exact mathematical twin and against the seed's own setting
// (scripts/fixtures/train_bf16_fixture.py, gated/bf16.*): PyTorch + PEFT in fp32 on the bf16-rounded base
// weights with every frozen product's input (forward) and output gradient (backward) rounded to bf16, on the
// ragged batch with ragged.*'s LoRA values.
//
// Tolerances: a rounding to bf16 turns a last-bit difference in a product's input into a 2⁻⁸ step, so the
// twin cannot be matched to fp32's 1e-4: the fixture script measured that relative noise of 6e-8 on every
// frozen product (a different summation order) moves the loss by up to 1.3e-3 and the gradients by 2-5e-3
// of their norm. The gradient bound (6e-3) still tells the twin from plain fp32 (1.3e-2 away) and from the
// seed's all-bf16 model (1.7e-2), and the test checks both distances.
import XCTest
import Kernels
import PEFT
import Training
@testable import T5Training

final class BF16ParityTests: XCTestCase {
    override func tearDown() { BF16GEMM.use(BF16GEMM.detectedImplementation) }

    /// All of the model's LoRA gradients (or values) in one vector, in the given names' order.
    func concatenated(_ names: [String], _ values: (String) throws -> [Float]) rethrows -> [Float] {
        try names.flatMap(values)
    }

    func testLossAndGradientsMatchTheTwinNotFP32OrTheAllBF16Seed() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("bf16")
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            let model = try golden.makeLoRAModel(threads: 2, precision: .bf16)
            model.zeroGradients()
            let loss = try model.forwardBackward(golden.batch)
            XCTAssertEqual(Double(loss), json["loss"] as! Double, accuracy: 2e-3, "\(implementation)")
            let names = model.trainableParameters.map(\.name)
            XCTAssertEqual(names.count, json["n_tensors"] as? Int)
            let ours = concatenated(names) { name in model.trainableParameters.first { $0.name == name }!.gradients! }
            let twin = try concatenated(names) { try expected.floats("grad." + $0) }
            let fp32 = try concatenated(names) { try golden.floats("grad." + $0) }
            let seed = try concatenated(names) { try expected.floats("seed.grad." + $0) }
            let toTwin = Fixture.relativeError(ours, twin)
            XCTAssertLessThan(toTwin, 6e-3, "\(implementation): gradients against the twin")
            XCTAssertGreaterThan(Fixture.relativeError(ours, fp32), 2 * toTwin, "\(implementation): closer to fp32 than to the twin")
            XCTAssertGreaterThan(Fixture.relativeError(ours, seed), 2 * toTwin, "\(implementation): closer to the seed than to the twin")
            // Against the seed's own setting (everything bf16, the LoRA output rounded too): the same direction.
            XCTAssertGreaterThan(Fixture.cosine(ours, seed), 0.9995, "\(implementation): cosine against the seed's gradients")
            print("bf16 parity (\(implementation)): loss \(loss) (twin \(json["loss"]!), seed \(json["seed_loss"]!), fp32 "
                  + "\(json["fp32_loss"]!)); gradients ‖ours − twin‖/‖twin‖ \(toTwin), cosine to the seed \(Fixture.cosine(ours, seed))")
        }
    }

    /// Three optimiser steps as the trainer takes them (clip 1.0, AdamW, linear schedule) follow the twin's losses.
    func testThreeAdamWStepsFollowTheTwin() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("bf16")
        let stepLosses = json["step_losses"] as! [Double], norms = json["grad_norms"] as! [Double]
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            let model = try golden.makeLoRAModel(threads: 2, precision: .bf16)
            let params = model.trainableParameters
            let initial = params.map(\.values)
            try takeThreeAdamWSteps(model, golden.batch, losses: stepLosses, norms: norms, lossAccuracy: { _ in 3e-3 },
                                    normAccuracy: { 6e-3 * $0 }, label: "\(implementation): ")
            // The update of three steps (AdamW's normalised steps are ±lr where gradients are clear, so a few
            // elements whose gradient sign flips with the rounding noise dominate the difference).
            let ours = zip(params, initial).flatMap { p, start in zip(p.values, start).map { $0 - $1 } }
            let twin = try zip(params, initial).flatMap { p, start in zip(try expected.floats("step3." + p.name), start).map { $0 - $1 } }
            let updateError = Fixture.relativeError(ours, twin)
            XCTAssertLessThan(updateError, 0.08, "\(implementation): the three steps' update")
            print("bf16 three steps (\(implementation)): ‖update − twin's‖/‖twin's‖ \(updateError)")
            XCTAssertEqual(Double(try model.loss(golden.batch)), json["loss_after"] as! Double, accuracy: 3e-3, "\(implementation)")
        }
    }

    /// bf16 is for frozen weights: a full fine-tune trains fp32 weights, and asking for bf16 there is an error.
    func testFullFineTuneIsRefusedInBF16() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        XCTAssertThrowsError(try golden.makeModel(.full, precision: .bf16))
    }
}
