import XCTest
@testable import Training

final class AdamWTests: XCTestCase {
    struct Golden: Decodable {
        struct Step: Decodable {
            var grads: [[Float]]
            var lr: Double
            var grad_norm: Float
            var params: [[Float]]
            var exp_avg: [[Float]]
            var exp_avg_sq: [[Float]]
        }
        struct Run: Decodable {
            var warmup_steps: Int
            var total_steps: Int
            var lr: Double
            var betas: [Double]
            var eps: Double
            var weight_decay: Double
            var max_grad_norm: Float
            var initial: [[Float]]
            var steps: [Step]
        }
        var no_warmup: Run
        var warmup: Run
    }

    static func relativeError(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a.joined(), b.joined()) {
            diff += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return (diff / norm).squareRoot()
    }

    /// torch.optim.AdamW(fused=True) + get_linear_schedule_with_warmup + clip_grad_norm_(1.0),
    /// step by step (fixture from scripts/fixtures/lora_make_adamw.py).
    func testReproducesTorchFusedAdamWWithScheduleAndClipping() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: try loadFixture("adamw_golden.json"))
        for (label, run) in [("no_warmup", golden.no_warmup), ("warmup", golden.warmup)] {
            let hyper = AdamWHyperparameters(beta1: run.betas[0], beta2: run.betas[1], epsilon: run.eps,
                                             weightDecay: run.weight_decay)
            let schedule = try LearningRateSchedule(baseLearningRate: run.lr, warmupSteps: run.warmup_steps,
                                              totalSteps: run.total_steps)
            var optimizer = AdamW(hyper: hyper, tensorSizes: run.initial.map(\.count))
            var params = run.initial
            XCTAssertEqual(run.steps.count, 5)
            var clippedSteps = 0
            for (k, step) in run.steps.enumerated() {
                let lr = schedule.learningRate(atStep: k)
                XCTAssertEqual(lr, step.lr, "\(label) step \(k) learning rate")
                var grads = step.grads
                let norm = clipGradientNorm(&grads, maxNorm: run.max_grad_norm)
                XCTAssertEqual(norm, step.grad_norm, accuracy: step.grad_norm * 1e-6, "\(label) step \(k) norm")
                if norm > 1 { clippedSteps += 1 }
                optimizer.step(parameters: &params, gradients: grads, learningRate: lr)
                XCTAssertLessThan(Self.relativeError(params, step.params), 1e-6, "\(label) step \(k) params")
                XCTAssertLessThan(Self.relativeError(optimizer.firstMoments, step.exp_avg), 1e-6, "\(label) step \(k) m")
                XCTAssertLessThan(Self.relativeError(optimizer.secondMoments, step.exp_avg_sq), 1e-6, "\(label) step \(k) v")
                if label == "warmup" && k < 2 {
                    // Unclipped steps with equal norms: bit-identical to torch's kernel (its FMA
                    // contractions reproduced); later steps differ by an ulp only where torch's
                    // scalar tail runs, which depends on its thread split.
                    XCTAssertEqual(params.joined().map(\.bitPattern), step.params.joined().map(\.bitPattern))
                    XCTAssertEqual(optimizer.secondMoments.joined().map(\.bitPattern), step.exp_avg_sq.joined().map(\.bitPattern))
                }
                // Element-wise too: no single entry may be off by more than a few ulps.
                for (p, q) in zip(params.joined(), step.params.joined()) {
                    XCTAssertEqual(p, q, accuracy: max(abs(q), 1e-3) * 1e-6)
                }
            }
            XCTAssertEqual(optimizer.step, 5)
            XCTAssertTrue(clippedSteps > 0 && clippedSteps < 5, "the fixture exercises both clipped and unclipped steps")
        }
    }

    func testDecoupledWeightDecayWithZeroGradient() {
        // Zero gradient: m = v = 0, so only decay acts: p ← p·(1 - lr·wd).
        var optimizer = AdamW(hyper: .init(weightDecay: 0.1), tensorSizes: [2])
        var params: [[Float]] = [[2, -4]]
        optimizer.step(parameters: &params, gradients: [[0, 0]], learningRate: 0.5)
        XCTAssertEqual(params[0], [2 * 0.95, -4 * 0.95])
    }

    func testFirstStepMovesByLearningRateTimesSign() {
        // After bias correction the first Adam step is lr·g/(|g| + eps·…) ≈ lr·sign(g).
        var optimizer = AdamW(hyper: .init(weightDecay: 0), tensorSizes: [3])
        var params: [[Float]] = [[0, 0, 0]]
        optimizer.step(parameters: &params, gradients: [[3, -0.5, 1e-3]], learningRate: 0.01)
        XCTAssertEqual(params[0][0], -0.01, accuracy: 1e-7)
        XCTAssertEqual(params[0][1], 0.01, accuracy: 1e-7)
        XCTAssertEqual(params[0][2], -0.01, accuracy: 1e-6)
    }

    func testScheduleMatchesHFFormula() throws {
        let s = try LearningRateSchedule(baseLearningRate: 1e-3, warmupSteps: 0, totalSteps: 1540)
        XCTAssertEqual(s.learningRate(atStep: 0), 1e-3)
        XCTAssertEqual(s.learningRate(atStep: 770), 1e-3 * 0.5)
        XCTAssertEqual(s.learningRate(atStep: 1540), 0)
        XCTAssertEqual(s.learningRate(atStep: 2000), 0)
        let w = try LearningRateSchedule(baseLearningRate: 2, warmupSteps: 4, totalSteps: 8)
        XCTAssertEqual((0...8).map { w.multiplier(atStep: $0) }, [0, 0.25, 0.5, 0.75, 1, 0.75, 0.5, 0.25, 0])
        XCTAssertThrowsError(try LearningRateSchedule(baseLearningRate: 1, totalSteps: 0))
        XCTAssertThrowsError(try LearningRateSchedule(baseLearningRate: .nan, totalSteps: 3))
    }

    func testClippingLeavesSmallGradientsAndScalesLargeOnes() {
        var small: [[Float]] = [[0.3], [0.4]]
        XCTAssertEqual(clipGradientNorm(&small, maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(small, [[0.3], [0.4]]) // coefficient clamped at 1
        var large: [[Float]] = [[3], [4]]
        XCTAssertEqual(clipGradientNorm(&large, maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(large[0][0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(large[1][0], 0.8, accuracy: 1e-6)
    }

    func testRestoringStateRejectsMismatchedMoments() {
        XCTAssertThrowsError(try AdamW(hyper: .init(), step: 1, firstMoments: [[0, 0]], secondMoments: [[0]]))
        XCTAssertNoThrow(try AdamW(hyper: .init(), step: 1, firstMoments: [[0]], secondMoments: [[0]]))
    }
}
