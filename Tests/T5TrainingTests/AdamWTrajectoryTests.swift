// Three optimiser steps on the fixed batch (the LoRA module's AdamW, schedule and clipping driving this
// module's gradients) against PEFT + torch's fused AdamW.
import XCTest
import PEFT
import Training
@testable import T5Training

final class AdamWTrajectoryTests: XCTestCase {
    func testGatedLoRAAfterThreeAdamWStepsMatchesPEFT() throws { try checkThreeSteps(golden: "golden") }

    func testRaggedBatchAfterThreeAdamWStepsMatchesPaddedPEFT() throws { try checkThreeSteps(golden: "ragged") }

    func checkThreeSteps(golden batch: String) throws {
        let golden = try Fixture.load("gated", golden: batch)
        let model = try golden.makeLoRAModel()
        let params = model.trainableParameters
        try takeThreeAdamWSteps(model, golden.batch, log: (golden.json["adamw"] as! [String: Any])["steps"] as! [[String: Any]])
        for p in params {
            let error = Fixture.relativeError(p.values, try golden.floats("step3." + p.name))
            XCTAssertLessThan(error, 1e-4, "\(p.name) after 3 steps")
        }
        let after = try model.loss(golden.batch)
        let referenceAfter = (golden.json["adamw"] as! [String: Any])["loss_after"] as! Double
        XCTAssertEqual(Double(after), referenceAfter, accuracy: 1e-5 * referenceAfter)
    }
}

extension XCTestCase {
    /// Three training steps as the Trainer takes them on `batch` (fused AdamW with the defaults, lr 1e-3 linear to 0 over
    /// 3 steps, clipping at 1), checking each step's loss and gradient norm against the fixture's `log`.
    func takeThreeAdamWSteps(_ model: T5TrainingModel, _ batch: UnpaddedBatch, log: [[String: Any]],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        try takeThreeAdamWSteps(model, batch, losses: log.map { $0["loss"] as! Double },
                                norms: log.map { $0["grad_norm_before_clip"] as! Double },
                                lossAccuracy: { 1e-5 * abs($0) }, normAccuracy: { 1e-4 * $0 }, file: file, line: line)
    }

    /// The same steps against losses and norms with the given tolerances (the bf16 and nf4 modes' twins are matched
    /// to a rounding's noise, not fp32's).
    func takeThreeAdamWSteps(_ model: T5TrainingModel, _ batch: UnpaddedBatch, losses: [Double], norms: [Double],
                             lossAccuracy: (Double) -> Double, normAccuracy: (Double) -> Double, label: String = "",
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let params = model.trainableParameters
        var optimizer = AdamW(hyper: AdamWHyperparameters(), tensorSizes: params.map(\.count))
        let schedule = try LearningRateSchedule(baseLearningRate: 1e-3, totalSteps: 3)
        for step in 0..<3 {
            model.zeroGradients()
            let loss = try model.forwardBackward(batch)
            XCTAssertEqual(Double(loss), losses[step], accuracy: lossAccuracy(losses[step]), "\(label)loss before step \(step + 1)",
                           file: file, line: line)
            let norm = clipGradientNorm(params.map { UnsafeMutableBufferPointer(start: $0.gradient!, count: $0.count) }, maxNorm: 1)
            XCTAssertEqual(Double(norm), norms[step], accuracy: normAccuracy(norms[step]), "\(label)grad norm at step \(step + 1)",
                           file: file, line: line)
            let coefficients = optimizer.beginStep(learningRate: schedule.learningRate(atStep: step))
            for (i, p) in params.enumerated() {
                optimizer.update(tensor: i, parameter: UnsafeMutableBufferPointer(start: p.value, count: p.count),
                                 gradient: UnsafeBufferPointer(start: p.gradient!, count: p.count), coefficients: coefficients)
            }
        }
    }
}
