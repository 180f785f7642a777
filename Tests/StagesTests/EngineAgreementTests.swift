import Foundation
import PEFT
import SafeTensors
import T5
import T5Training
import XCTest
@testable import Stages

/// The two T5 engines on one model and one input: inference (`T5Model`: KV cache, teacher-forced logits,
/// a PEFT adapter loaded from disk) and training (`T5TrainingModel`: unpadded batches, saved activations, the
/// LoRA branch it trains). The token loss from the inference logits must equal the trainer's eval-mode loss,
/// without an adapter and with the trainer's own adapter written as PEFT files and loaded back: LoRA and IA3.
final class EngineAgreementTests: XCTestCase {
    func testInferenceLogitsGiveTheTrainersLossWithAndWithoutItsAdapter() throws {
        try check(.lora(LoRAConfig(rank: 4, alpha: 8, dropout: 0, targetModules: ["q", "v", "wo"], rankPattern: ["wo": 2])),
                  initial: 0) { $0 / 1000 - 0.1 }
    }

    /// IA3 on every kind of projection the inference engine runs: self- and cross-attention k and v (the cache),
    /// q and o, and the feed-forward input (wi_1 and wo), vectors of ones (the base model) then away from one.
    func testInferenceLogitsGiveTheTrainersLossWithIA3() throws {
        try check(.ia3(IA3Config(targetModules: ["q", "k", "v", "o", "wi_1", "wo"], feedforwardModules: ["wi_1", "wo"])),
                  initial: 1) { 1 + $0 / 400 - 0.25 }
    }

    /// The base loss with every adapter tensor at `initial` (the method's no-op), then with `value` of draws in 0..<200.
    func check(_ method: AdapterMethod, initial: Float, value: (Float) -> Float) throws {
        let modelDir = StageTestProject.repoRoot.appendingPathComponent("demo/model")
        let config = try T5Config.load(path: modelDir.appendingPathComponent("config.json").path)
        var state: UInt64 = 11
        func ids(_ n: Int) -> [Int32] {
            (0..<n).map { i in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return i == n - 1 ? 1 : Int32(3 + (state >> 33) % UInt64(config.vocabSize - 3))
            }
        }
        let sources = [ids(5), ids(61), ids(17)], targets = [ids(9), ids(2), ids(23)]
        let batch = try UnpaddedBatch(sources: sources, targets: targets, vocabSize: config.vocabSize)

        let trainer = try T5TrainingModel(config: config, file: try SafeTensorsFile(path: modelDir.appendingPathComponent("model.safetensors").path),
                                          mode: .adapter(method), dropoutRate: 0.1, threads: 1)
        try trainer.setAdapters(Dictionary(uniqueKeysWithValues: trainer.trainableParameters.map {
            ($0.name, [Float](repeating: initial, count: $0.count)) }), source: "test")
        let inference = try T5Model.load(directory: modelDir.path)
        let base = Double(try trainer.loss(batch))
        XCTAssertEqual(try Self.loss(inference, sources: sources, targets: targets), base, accuracy: 1e-5 * base,
                       "the adapter's no-op: the base model")

        // Values away from the no-op, then written as a PEFT adapter and loaded by the inference engine.
        var values: [String: [Float]] = [:]
        for p in trainer.trainableParameters { values[p.name] = ids(p.count).map { value(Float($0 % 200)) } }
        try trainer.setAdapters(values, source: "test")
        let adapter = FileManager.default.temporaryDirectory.appendingPathComponent("engines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: adapter, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: adapter) }
        try AdapterConfig(method: method, baseModelNameOrPath: "demo/model").write(to: adapter.appendingPathComponent("adapter_config.json"))
        try Data(trainer.adapterSafeTensors()).write(to: adapter.appendingPathComponent("adapter_model.safetensors"))
        try inference.apply(try PEFTAdapter.load(directory: adapter.path))
        let adapted = Double(try trainer.loss(batch))
        XCTAssertGreaterThan(abs(adapted - base), 1e-3, "the adapter must change the loss for this to test it")
        XCTAssertEqual(try Self.loss(inference, sources: sources, targets: targets), adapted, accuracy: 1e-5 * adapted,
                       "with the adapter")
    }

    /// Mean token cross-entropy of `targets` from teacher-forced inference logits (decoder input: start + labels[:-1]).
    static func loss(_ model: T5Model, sources: [[Int32]], targets: [[Int32]]) throws -> Double {
        let start = model.config.decoderStartTokenId
        let logits = try model.logits(encoder: try model.encode(sources), decoderInput: targets.map { [start] + $0.dropLast() })
        let width = targets.map(\.count).max()!, vocab = model.config.vocabSize
        var total = 0.0, count = 0
        for (row, labels) in targets.enumerated() {
            for (position, label) in labels.enumerated() {
                let z = (0..<vocab).map { Double(logits.pointer[(row * width + position) * vocab + $0]) }
                let m = z.max()!
                total += m + log(z.map { exp($0 - m) }.reduce(0, +)) - z[Int(label)]
                count += 1
            }
        }
        return total / Double(count)
    }
}
