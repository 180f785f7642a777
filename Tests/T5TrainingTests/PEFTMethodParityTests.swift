// The other PEFT methods against PEFT on the gated model and the ragged batch (scripts/fixtures/
// train_peft_methods_fixture.py): the loss and every trainable gradient at PEFT's tensors' seeded values, three fused
// AdamW steps (lr 1e-3 linear to 0, wd 0.01, clip 1) and PEFT's merged weights, within the LoRA tests' tolerances.
import PEFT
import SafeTensors
import Training
import XCTest
@testable import T5Training

final class PEFTMethodParityTests: XCTestCase {
    /// The model of `<method>.json`'s config with its initial values, and the fixture.
    func model(_ method: String, mode: (([String: Any]) -> TrainingMode), threads: Int = 2)
        throws -> (T5TrainingModel, json: [String: Any], tensors: SafeTensorsFile, golden: Fixture.Golden) {
        let golden = try Fixture.load("gated", golden: "ragged")
        let (json, tensors) = try golden.companion(method)
        let model = try golden.makeModel(mode(json["config"] as! [String: Any]), threads: threads)
        var initial: [String: [Float]] = [:]
        for name in tensors.names where name.hasPrefix("init.") { initial[String(name.dropFirst(5))] = try tensors.floats(name) }
        XCTAssertEqual(initial.count, json["n_tensors"] as? Int)
        XCTAssertEqual(model.trainableParameters.count, initial.count)
        let shapes = json["shapes"] as! [String: [Int]]
        for p in model.trainableParameters { XCTAssertEqual(p.shape, shapes[p.name], p.name) }
        try model.setAdapters(initial, source: "\(method).safetensors")
        return (model, json, tensors, golden)
    }

    func checkMethod(_ method: String, mode: ([String: Any]) -> TrainingMode) throws {
        let (model, json, tensors, golden) = try self.model(method, mode: mode)
        model.zeroGradients()
        let loss = try model.forwardBackward(golden.batch)
        let reference = json["loss"] as! Double
        XCTAssertEqual(Double(loss), reference, accuracy: 1e-5 * abs(reference), "\(method) loss")
        for p in model.trainableParameters {
            XCTAssertLessThan(Fixture.relativeError(p.gradients!, try tensors.floats("grad." + p.name)), 1e-4, "gradient of \(p.name)")
        }

        // what PEFT saves for a prompt method at the initial values (P-tuning: the MLP's output)
        if let saved = try? tensors.floats("saved.prompt_embeddings") {
            XCTAssertLessThan(Fixture.relativeError(try XCTUnwrap(model.adapterTensors.first).values, saved), 1e-5, "prompt_embeddings")
        }
        // PEFT's merge of the initial values, for the modules the fixture kept
        for module in json["merged_modules"] as? [String] ?? [] {
            let layer = try XCTUnwrap(model.adaptedLayers.first { $0.path == module }, module)
            var weight = layer.weight.values
            weight.withUnsafeMutableBufferPointer { layer.adapter!.merge(into: $0.baseAddress!, layer: layer) }
            XCTAssertLessThan(Fixture.relativeError(weight, try tensors.floats("merged.\(module).weight")), 1e-6, "merged \(module)")
        }

        // three AdamW steps as the Trainer takes them
        let params = model.trainableParameters
        let adamw = json["adamw"] as! [String: Any]
        try takeThreeAdamWSteps(model, golden.batch, log: adamw["steps"] as! [[String: Any]])
        for p in params {
            XCTAssertLessThan(Fixture.relativeError(p.values, try tensors.floats("step3." + p.name)), 1e-4, "\(p.name) after 3 steps")
        }
        let after = try model.loss(golden.batch), referenceAfter = adamw["loss_after"] as! Double
        XCTAssertEqual(Double(after), referenceAfter, accuracy: 1e-5 * abs(referenceAfter))
    }

    func testIA3MatchesPEFT() throws {
        try checkMethod("ia3") { c in
            .ia3(IA3Config(targetModules: c["target_modules"] as! [String], feedforwardModules: c["feedforward_modules"] as! [String]))
        }
    }

    static func lycoris(_ c: [String: Any]) -> LycorisConfig {
        LycorisConfig(rank: c["r"] as! Int, alpha: Double(c["alpha"] as! Int), targetModules: c["target_modules"] as! [String])
    }

    /// r 4, alpha 8 on q, v and wo: four [out, 4] / [4, in] factors per module.
    func testLoHaMatchesPEFT() throws { try checkMethod("loha") { .adapter(.loha(Self.lycoris($0))) } }

    /// r 4, alpha 8 on q, v (64 = 8 × 8 both ways: full lokr_w1 and lokr_w2) and wo (in 128 = 8 × 16: lokr_w2 as the
    /// low-rank pair lokr_w2_a [8, 4] · lokr_w2_b [4, 16], since 4 < 16/2).
    func testLoKrMatchesPEFT() throws { try checkMethod("lokr") { .adapter(.lokr(Self.lycoris($0))) } }

    /// 5 virtual tokens: a [10, 64] table whose rows 5..<10 no loss reaches (their gradient is exactly zero).
    func testPromptTuningMatchesPEFT() throws {
        try checkMethod("prompt_tuning") { .adapter(.promptTuning(PromptConfig(virtualTokens: $0["num_virtual_tokens"] as! Int))) }
        let (model, _, _, golden) = try self.model("prompt_tuning") { .adapter(.promptTuning(PromptConfig(virtualTokens: $0["num_virtual_tokens"] as! Int))) }
        model.zeroGradients()
        try model.forwardBackward(golden.batch)
        let g = try XCTUnwrap(model.trainableParameters.first?.gradients)
        XCTAssertTrue(g[(5 * 64)...].allSatisfy { $0 == 0 } && g[..<(5 * 64)].contains { $0 != 0 }, "only the encoder's rows learn")
    }

    /// 5 virtual tokens through PEFT's MLP (64 → 32 → 32 → 64, ReLU): the table and the three layers' weights and biases.
    func testPTuningMatchesPEFT() throws {
        try checkMethod("p_tuning") { c in
            .adapter(.pTuning(PromptConfig(virtualTokens: c["num_virtual_tokens"] as! Int, encoderHiddenSize: c["encoder_hidden_size"] as? Int)))
        }
    }

    /// 5 positions of keys and values in front of the decoder's self-attention; the table's slots 2 and 3 (what would
    /// be layer 1's on a 2-layer model) are read by no layer, as PEFT's get_prompt lays them out, and get no gradient.
    func testPrefixTuningMatchesPEFT() throws {
        let mode: ([String: Any]) -> TrainingMode = { .adapter(.prefixTuning(PromptConfig(virtualTokens: $0["num_virtual_tokens"] as! Int,
                                                                                         encoderHiddenSize: 0))) }
        try checkMethod("prefix_tuning", mode: mode)
        let (model, json, _, golden) = try self.model("prefix_tuning", mode: mode)
        model.zeroGradients()
        try model.forwardBackward(golden.batch)
        let g = try XCTUnwrap(model.trainableParameters.first?.gradients), d = 64, width = 4 * d
        let zeroSlots = (0..<4).map { slot in (0..<5).allSatisfy { r in g[(r * width + slot * d)..<(r * width + (slot + 1) * d)].allSatisfy { $0 == 0 } } }
        let reaches = json["prefix_reaches"] as! [String: Any]
        XCTAssertEqual(zeroSlots, reaches["slot_zero_grad"] as? [Bool])
    }

    /// PEFT's feed-forward rule is `str.endswith` with no "." boundary, unlike its target rule, and the subset check
    /// runs only when both are lists; a vector's shape follows the rule ([1, in] scales the input, [out, 1] the output).
    func testIA3FeedForwardModulesFollowPEFTsRule() throws {
        let golden = try Fixture.load("gated")
        XCTAssertThrowsError(try golden.makeModel(.ia3(IA3Config(targetModules: ["k", "wi_0", "wo"], feedforwardModules: ["o"]))))
        let model = try golden.makeModel(.ia3(IA3Config(targetModules: [], targetPattern: #".*\.(k|wi_0|wo)"#,
                                                        feedforwardModules: ["o"])))
        for layer in model.adaptedLayers {
            let ia3 = try XCTUnwrap(layer.adapter as? TrainableIA3)
            XCTAssertEqual(ia3.feedForward, layer.path.hasSuffix("wo"), layer.path)
            XCTAssertEqual(ia3.scaling.shape, ia3.feedForward ? [1, layer.inFeatures] : [layer.outFeatures, 1], layer.path)
            XCTAssertEqual(ia3.scaling.name, "base_model.model.\(layer.path).ia3_l")
        }
        XCTAssertEqual(model.adaptedLayers.count, 2 * 3 + 2 * 4)
    }
}
