// Loss, LoRA gradients and full-fine-tune gradients against transformers + PEFT on tiny random models.
import PEFT
import Training
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
        XCTAssertEqual(Double(totalGradientNorm(model.trainableParameters.map { UnsafeBufferPointer(start: $0.gradient!, count: $0.count) })),
                       referenceNorm, accuracy: 1e-4 * referenceNorm)
    }

    func testGatedLoRALossAndGradientsMatchPEFT() throws { try checkLoRAGradients("gated") }

    func testTiedReLULoRAOnAllLinearsMatchesPEFT() throws { try checkLoRAGradients("tied") }

    /// Lengths 31/509/3/170/88 padded to 509 by PyTorch, unpadded here; 2 threads claim the ragged heads.
    func testRaggedBatchLoRALossAndGradientsMatchPaddedPEFT() throws {
        try checkLoRAGradients("gated", golden: "ragged", threads: 2)
    }

    /// Gradient accumulation as Hugging Face ≥ 4.46 normalises it: micro-batches {0, 1, 2} and {3, 4} of the
    /// ragged batch, each's summed token loss over the labelled tokens of both, give PEFT's whole-batch
    /// gradient (batch_size 5, grad_accum 1 = batch_size 3 + 2, grad_accum 2), and the step's mean loss.
    func testAccumulatedMicroBatchesGiveTheWholeBatchGradient() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let whole = golden.batch
        func slice(_ examples: Range<Int>) throws -> UnpaddedBatch {
            try UnpaddedBatch(sources: examples.map { Array(whole.inputIds[whole.sourceOffsets[$0]..<whole.sourceOffsets[$0 + 1]]) },
                              targets: examples.map { Array(whole.labels[whole.targetOffsets[$0]..<whole.targetOffsets[$0 + 1]]) },
                              vocabSize: golden.config.vocabSize)
        }
        let micro = [try slice(0..<3), try slice(3..<5)]
        let tokens = micro.reduce(0) { $0 + $1.labelledTokens }
        XCTAssertEqual(tokens, whole.labelledTokens)
        XCTAssertNotEqual(micro[0].labelledTokens, micro[1].labelledTokens, "unequal halves tell the two normalisations apart")

        let accumulated = try golden.makeLoRAModel(threads: 2), single = try golden.makeLoRAModel(threads: 2)
        accumulated.zeroGradients()
        var weighted: Double = 0
        for b in micro { weighted += Double(try accumulated.forwardBackward(b, labelTokensInStep: tokens)) * Double(b.labelledTokens) }
        single.zeroGradients()
        try single.forwardBackward(whole)
        let reference = (golden.json["lora"] as! [String: Any])["loss"] as! Double
        XCTAssertEqual(weighted / Double(tokens), reference, accuracy: 1e-5 * abs(reference))
        for (p, q) in zip(accumulated.trainableParameters, single.trainableParameters) {
            XCTAssertLessThan(Fixture.relativeError(p.gradients!, try golden.floats("grad." + p.name)), 1e-4, p.name)
            XCTAssertLessThan(Fixture.relativeError(p.gradients!, q.gradients!), 1e-5, "\(p.name): accumulated vs one batch")
        }
    }

    /// Hugging Face's LabelSmoother (ε 0.1, padding masked) on the ragged batch, PEFT's LoRA gradients
    /// (scripts/fixtures/train_label_smoothing_fixture.py): normalised by the batch's labelled tokens, and by
    /// twice as many (`num_items_in_batch`, as under gradient accumulation).
    func testLabelSmoothedLossAndGradientsMatchHuggingFace() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("label_smoothing")
        for (name, items) in [("grad", nil), ("grad_items", 2 * golden.batch.labelledTokens)] as [(String, Int?)] {
            let model = try golden.makeLoRAModel(threads: 2)
            model.labelSmoothing = Float(json["epsilon"] as! Double)
            model.zeroGradients()
            let loss = try model.forwardBackward(golden.batch, labelTokensInStep: items)
            let reference = (json[name] as! [String: Any])["loss"] as! Double
            // forwardBackward returns the batch's mean; HF's loss with num_items_in_batch is the sum over `items`.
            let scaled = Double(loss) * Double(golden.batch.labelledTokens) / Double(items ?? golden.batch.labelledTokens)
            XCTAssertEqual(scaled, reference, accuracy: 1e-5 * abs(reference), name)
            for p in model.trainableParameters {
                XCTAssertLessThan(Fixture.relativeError(p.gradients!, try expected.floats("\(name).\(p.name)")), 1e-4,
                                  "\(name) \(p.name)")
            }
        }
        // ε = 0 is the plain loss, bit for bit.
        let plain = try golden.makeLoRAModel(threads: 2), zero = try golden.makeLoRAModel(threads: 2)
        zero.labelSmoothing = 0
        XCTAssertEqual(try plain.loss(golden.batch), try zero.loss(golden.batch))
    }

    /// PEFT's per-module rank and alpha (scripts/fixtures/train_rank_pattern_fixture.py): rank_pattern
    /// {"decoder.*\\.q": 4, "wo": 2} and alpha_pattern {"EncDecAttention.v": 32} over r 8, alpha 16 on q, v, wo.
    /// Every module gets PEFT's rank (the fixture's tensors fit) and scale, and the loss and every LoRA gradient match.
    func testRankAndAlphaPatternsGivePEFTsModulesLossAndGradients() throws {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, expected) = try golden.companion("rank_pattern")
        let config = json["config"] as! [String: Any]
        let settings = LoRAConfig(rank: config["r"] as! Int, alpha: Double(config["lora_alpha"] as! Int), dropout: 0,
                                    targetModules: config["target_modules"] as! [String],
                                    rankPattern: config["rank_pattern"] as! [String: Int],
                                    alphaPattern: (config["alpha_pattern"] as! [String: Int]).mapValues { Double($0) })
        let model = try golden.makeModel(.lora(settings), threads: 2)
        let scales = json["scales"] as! [String: Double], ranks = json["ranks"] as! [String: Int]
        XCTAssertEqual(model.adaptedLayers.count, scales.count)
        for layer in model.adaptedLayers {
            XCTAssertEqual(layer.lora!.rank, ranks["base_model.model." + layer.path], layer.path)
            XCTAssertEqual(Double(layer.lora!.scale), scales[layer.path], layer.path)
        }
        XCTAssertEqual(Set(model.adaptedLayers.map { $0.lora!.rank }), [2, 4, 8])
        var initial: [String: [Float]] = [:]
        for name in expected.names where name.hasPrefix("init.") { initial[String(name.dropFirst(5))] = try expected.floats(name) }
        try model.setAdapters(initial, source: "rank_pattern.safetensors")
        model.zeroGradients()
        let loss = try model.forwardBackward(golden.batch)
        let reference = json["loss"] as! Double
        XCTAssertEqual(Double(loss), reference, accuracy: 1e-5 * abs(reference))
        XCTAssertEqual(model.trainableParameters.count, json["n_tensors"] as? Int)
        for p in model.trainableParameters {
            XCTAssertLessThan(Fixture.relativeError(p.gradients!, try expected.floats("grad." + p.name)), 1e-4, p.name)
        }
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
