// Model-level behaviour: frozen weights in LoRA mode, PEFT export names, thread-count independence,
// gradient accumulation, and setup errors.
import PEFT
import XCTest
import SafeTensors
@testable import T5Training

final class TrainingModelTests: XCTestCase {
    func testLoRAModeTargetsQAndVAndFreezesEverythingElse() throws {
        let golden = try Fixture.load("gated")
        let model = try golden.makeLoRAModel()
        // 2 encoder layers × (q, v) + 2 decoder layers × (self q, v + cross q, v)
        XCTAssertEqual(model.adaptedLayers.count, 12)
        XCTAssertTrue(model.weights.allParameters.allSatisfy { !$0.isTrainable })
        XCTAssertTrue(model.trainableParameters.allSatisfy { $0.name.hasPrefix("base_model.model.") })
    }

    func testExportedAdapterHasPEFTKeysAndValues() throws {
        let golden = try Fixture.load("gated")
        let model = try golden.makeLoRAModel()
        let file = try SafeTensorsFile(bytes: try model.adapterSafeTensors(), label: "export")
        let expected = Set(golden.tensors.names.filter { $0.hasPrefix("init.") }.map { String($0.dropFirst(5)) })
        XCTAssertEqual(Set(file.names), expected)
        for name in expected { XCTAssertEqual(try file.floats(name), try golden.floats("init." + name)) }
        XCTAssertThrowsError(try model.setAdapters([:], source: "empty.safetensors")) { error in
            XCTAssertTrue("\(error)".hasPrefix("empty.safetensors: missing adapter tensor"), "\(error)")
        }
    }

    func testTwoThreadsGiveTheSameLossAndGradients() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let file = try TinyModel.file(config, seed: 1)
        let batch = try TinyModel.batch(vocab: config.vocabSize)
        var results: [(Float, [Float])] = []
        for threads in [1, 2] {
            let model = try T5TrainingModel(config: config, file: file, mode: .full, dropoutRate: 0.1, threads: threads)
            model.zeroGradients()
            let loss = try model.forwardBackward(batch)
            results.append((loss, model.trainableParameters.flatMap { $0.gradients! }))
        }
        XCTAssertEqual(results[0].0, results[1].0, accuracy: 1e-6 * abs(results[0].0))
        XCTAssertLessThan(Fixture.relativeError(results[1].1, results[0].1), 1e-5)
    }

    func testGradientsAccumulateAcrossCallsAndStepsChangeDropout() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 1), mode: .full, dropoutRate: 0)
        let batch = try TinyModel.batch(vocab: config.vocabSize)
        model.zeroGradients()
        try model.forwardBackward(batch)
        let once = model.trainableParameters.flatMap { $0.gradients! }
        try model.forwardBackward(batch)
        let twice = model.trainableParameters.flatMap { $0.gradients! }
        XCTAssertLessThan(Fixture.relativeError(twice, once.map { 2 * $0 }), 1e-6)
        XCTAssertEqual(model.step, 2)
        model.dropoutRate = 0.1
        let first = try model.trainingLoss(batch)
        model.step += 1
        XCTAssertNotEqual(first, try model.trainingLoss(batch))
    }

    func testSetupErrorsAreOneLine() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let file = try TinyModel.file(config, seed: 1)
        // "wi" is a T5 linear name, but a gated model has wi_0 and wi_1 instead
        XCTAssertThrowsError(try T5TrainingModel(config: config, file: file, mode: .lora(LoRAConfig(targetModules: ["wi"])))) {
            XCTAssertTrue("\($0)".contains("match no linear layer"), "\($0)")
        }
        XCTAssertThrowsError(try T5TrainingModel(config: config, file: file, mode: .lora(LoRAConfig(targetModules: ["nothing"])))) {
            XCTAssertTrue("\($0)".contains("is not a T5 linear layer"), "\($0)")
        }
        let other = TinyModel.config(gated: false, tied: false)
        XCTAssertThrowsError(try T5TrainingModel(config: other, file: file, mode: .full)) {
            XCTAssertEqual("\($0)".split(separator: "\n").count, 1)
            XCTAssertTrue("\($0)".contains("missing tensor"), "\($0)")
        }
    }

    func testFlopCountSeparatesLinearsAttentionAndLoRA() {
        let config = TinyModel.config(gated: true, tied: false)  // d 12, inner 12, heads 3, d_kv 4, 2+2 layers
        let full = TrainingFlops.perStep(config: config, batchSize: 2, sourceLength: 7, targetLength: 5, mode: .full)
        // forward minus the weight-gradient GEMMs (one per linear, same size) leaves the attention products:
        // 2 encoder layers of 7×7 + 2 decoder layers of 5×5 (self) and 5×7 (cross), each 2 GEMMs of 2·b·h·q·k·d_kv
        let attention = 2.0 * 2 * 2 * 3 * 4 * Double(2 * 49 + 2 * 25 + 2 * 35)
        XCTAssertEqual(full.forward - full.backwardParameters, attention, accuracy: 1e-6)
        XCTAssertEqual(full.backwardInput, full.forward + attention, accuracy: 1e-6)
        let lora = TrainingFlops.perStep(config: config, batchSize: 2, sourceLength: 7, targetLength: 5,
                                         mode: .lora(LoRAConfig(rank: 2, alpha: 2, targetModules: ["q", "v"])))
        // LoRA on 12 linears: encoder q,v over 14 rows, decoder self q,v and cross q over 10 rows, cross v over 14
        let loraForward = 2.0 * 2 * (12 + 12) * Double(2 * 2 * 14 + 2 * 3 * 10 + 2 * 14)
        XCTAssertEqual(lora.forward - (full.forward), loraForward, accuracy: 1e-6)
        XCTAssertEqual(lora.backwardParameters, 2 * loraForward, accuracy: 1e-6)
    }
}
