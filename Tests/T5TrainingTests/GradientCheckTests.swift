// Finite-difference checks of the whole backward (every block, every parameter kind, dropout on) on random
// tiny models: for each parameter, the directional derivative along a random unit direction u,
// (L(θ+εu) − L(θ−εu)) / 2ε with ε = 1e-2 (3e-3 for the large random LoRA weights, whose curvature
// makes 1e-2 inexact; 1e-3 with ReLU), must match g·u within 1e-2 relative + 2e-4 absolute
// (Float forward: rounding noise of the difference quotient is ~1e-5).
import Kernels
import PEFT
import TestSupport
import XCTest
@testable import T5Training

final class GradientCheckTests: XCTestCase {
    func testFullFineTuneGatedUntiedWithDropout() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 1), mode: .full,
                                        dropoutRate: 0.1, dropoutSeed: 3)
        XCTAssertEqual(model.trainableParameters.count, 1 + 2 * 9 + 1 + 2 * 14 + 1 + 1 + 1 + 1)
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 11)
    }

    func testFullFineTuneReLUTiedWithDropout() throws {
        let config = TinyModel.config(gated: false, tied: true)
        // Model seed 3: with seed 2 one ReLU pre-activation lies within 1e-3 of its kink along the probe
        // direction (a loss scan shows the slope change), which no finite difference can resolve.
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 3), mode: .full,
                                        dropoutRate: 0.1, dropoutSeed: 4)
        // smaller steps: ReLU kinks make larger ones inexact
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 12, epsilon: 1e-3)
    }

    func testLoRAOnEveryLinearWithLoRADropout() throws {
        let config = TinyModel.config(gated: true, tied: true)
        let settings = LoRAConfig(rank: 2, alpha: 4, dropout: 0.2, targetModules: ["q", "k", "v", "o", "wi_0", "wi_1", "wo"])
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 5), mode: .lora(settings),
                                        dropoutRate: 0.1, dropoutSeed: 6)
        XCTAssertEqual(model.adaptedLayers.count, 2 * 7 + 2 * 11)
        var rng = SplitMix64(seed: 9)
        for p in model.trainableParameters {
            for i in 0..<p.count { p.value[i] = 0.3 * rng.normal() }
        }
        XCTAssertTrue(model.weights.linears.allSatisfy { !$0.weight.isTrainable }, "LoRA mode must freeze base weights")
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 13, epsilon: 3e-3)
    }

    /// IA3 (scripts: PEFT's IA3 Linear) with T5's dropout on: output scaling on attention projections and a gated
    /// input, input scaling on feed-forward modules (PEFT's defaults k, v, wo with wo feed-forward, plus q, o, wi_0
    /// and wi_1 as a feed-forward module), vectors away from 1 so that every product matters.
    func testIA3OnEveryKindOfLinearWithDropout() throws {
        let config = TinyModel.config(gated: true, tied: true)
        let settings = IA3Config(targetModules: ["q", "k", "v", "o", "wi_0", "wi_1", "wo"], feedforwardModules: ["wi_1", "wo"])
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 15), mode: .ia3(settings),
                                        dropoutRate: 0.1, dropoutSeed: 16)
        XCTAssertEqual(model.adaptedLayers.count, 2 * 7 + 2 * 11)
        XCTAssertEqual(model.adaptedLayers.filter { ($0.adapter as! TrainableIA3).feedForward }.count, 2 * 2 + 2 * 2)
        var rng = SplitMix64(seed: 17)
        for p in model.trainableParameters {
            for i in 0..<p.count { p.value[i] = 1 + 0.3 * rng.normal() }
        }
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 18, epsilon: 3e-3)
    }

    /// LoHa (every factor random, so every product matters) on attention and feed-forward linears, with dropout.
    func testLoHaWithDropout() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 19),
                                        mode: .adapter(.loha(LycorisConfig(rank: 2, alpha: 3, targetModules: ["q", "v", "wi_1", "wo"]))),
                                        dropoutRate: 0.1, dropoutSeed: 20)
        var rng = SplitMix64(seed: 21)
        for p in model.trainableParameters { for i in 0..<p.count { p.value[i] = 0.5 * rng.normal() } }
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 22, epsilon: 3e-3)
    }

    /// LoKr with every factor form: decompose_both makes w1 a low-rank pair where r is small against its sides, and
    /// w2 is full or a pair by PEFT's rule (the tiny model's widths 16, 32 and 64 give both).
    func testLoKrWithEveryFactorFormAndDropout() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let settings = LycorisConfig(rank: 1, alpha: 2, targetModules: ["q", "o", "wi_0", "wo"], decomposeBoth: true)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 23), mode: .adapter(.lokr(settings)),
                                        dropoutRate: 0.1, dropoutSeed: 24)
        let names = Set(model.trainableParameters.map { String($0.name.split(separator: ".").last!) })
        XCTAssertTrue(names.isSuperset(of: ["lokr_w1_a", "lokr_w1_b", "lokr_w2_a", "lokr_w2_b"]), "\(names)")
        var rng = SplitMix64(seed: 25)
        for p in model.trainableParameters { for i in 0..<p.count { p.value[i] = 0.5 * rng.normal() } }
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 26, epsilon: 3e-3)
    }

    /// Prompt tuning and P-tuning with T5's dropout on the prompt rows as on the embeddings: the gradient reaches the
    /// rows through the encoder's input (and the MLP's three layers).
    func testPromptTuningAndPTuningWithDropout() throws {
        let config = TinyModel.config(gated: true, tied: true)
        for (i, method) in [AdapterMethod.promptTuning(PromptConfig(virtualTokens: 3)),
                            .pTuning(PromptConfig(virtualTokens: 2, encoderHiddenSize: 8))].enumerated() {
            let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 27), mode: .adapter(method),
                                            dropoutRate: 0.1, dropoutSeed: 28)
            var rng = SplitMix64(seed: 29 + UInt64(i))
            for p in model.trainableParameters { for j in 0..<p.count { p.value[j] = 0.5 * rng.normal() } }
            try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 31, epsilon: 3e-3)
        }
    }

    /// Prefix tuning with dropout on the attention probabilities (which cover the prefix's columns): every slot a
    /// decoder layer reads gets its gradient through keys and values.
    func testPrefixTuningWithDropout() throws {
        let config = TinyModel.config(gated: false, tied: true)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 32),
                                        mode: .adapter(.prefixTuning(PromptConfig(virtualTokens: 3, encoderHiddenSize: 0))),
                                        dropoutRate: 0.1, dropoutSeed: 33)
        var rng = SplitMix64(seed: 34)
        for p in model.trainableParameters { for j in 0..<p.count { p.value[j] = 0.5 * rng.normal() } }
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 35, epsilon: 1e-3)
    }

    /// The label-smoothed loss's backward (ε 0.2), through the whole model.
    func testFullFineTuneWithLabelSmoothing() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 7), mode: .full,
                                        dropoutRate: 0.1, dropoutSeed: 8)
        model.labelSmoothing = 0.2
        try checkGradients(model, try TinyModel.batch(vocab: config.vocabSize), seed: 14)
    }
}

extension XCTestCase {
    func checkGradients(_ model: T5TrainingModel, _ batch: UnpaddedBatch, seed: UInt64, epsilon: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) throws {
        model.step = 5
        model.zeroGradients()
        try model.forwardBackward(batch)
        model.step = 5
        var rng = SplitMix64(seed: seed)
        var checked = 0
        for p in model.trainableParameters {
            var u = (0..<p.count).map { _ in rng.normal() }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            u = u.map { $0 / norm }
            let g = p.gradients!
            var analytic = 0.0
            for i in 0..<p.count { analytic += Double(g[i]) * Double(u[i]) }
            let original = p.values
            for i in 0..<p.count { p.value[i] = original[i] + epsilon * u[i] }
            let plus = try model.trainingLoss(batch)
            for i in 0..<p.count { p.value[i] = original[i] - epsilon * u[i] }
            let minus = try model.trainingLoss(batch)
            for i in 0..<p.count { p.value[i] = original[i] }
            let numeric = (Double(plus) - Double(minus)) / Double(2 * epsilon)
            XCTAssertEqual(analytic, numeric, accuracy: 1e-2 * abs(numeric) + 2e-4, "\(p.name)", file: file, line: line)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0)
    }
}
