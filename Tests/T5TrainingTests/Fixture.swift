// Loading the committed golden fixtures (Tests/Fixtures/T5Training, see its README).
import Failures
import Foundation
import PEFT
import SafeTensors
import T5
@testable import T5Training

enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/T5Training")

    struct Golden {
        let directory: String
        let config: T5Config
        let model: SafeTensorsFile
        let tensors: SafeTensorsFile
        let json: [String: Any]
        let batch: UnpaddedBatch

        func floats(_ name: String) throws -> [Float] { try tensors.floats(name) }

        /// Another script's outputs beside this fixture: `<name>.json` and `<name>.safetensors`.
        func companion(_ name: String) throws -> (json: [String: Any], tensors: SafeTensorsFile) {
            let dir = URL(fileURLWithPath: directory)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("\(name).json"))) as! [String: Any]
            return (json, try SafeTensorsFile(path: dir.appendingPathComponent("\(name).safetensors").path))
        }

        /// The LoRA model of json's settings with the fixture's initial A/B values.
        func makeLoRAModel(threads: Int = 1, precision: WeightMatrix.Precision = .f32) throws -> T5TrainingModel {
        let lora = json["lora"] as! [String: Any]
        let cfg = lora["config"] as! [String: Any]
        let settings = LoRAConfig(rank: cfg["r"] as! Int, alpha: Double(cfg["lora_alpha"] as! Int), dropout: 0,
                                    targetModules: cfg["target_modules"] as! [String])
        let model = try makeModel(.lora(settings), threads: threads, precision: precision)
        var initial: [String: [Float]] = [:]
        for name in tensors.names where name.hasPrefix("init.") {
            initial[String(name.dropFirst(5))] = try floats(name)
        }
        guard initial.count == lora["n_tensors"] as? Int else { throw PipelineError.badInput("init tensor count", path: directory) }
        try model.setAdapters(initial, source: directory)
        return model
    }

        func makeModel(_ mode: TrainingMode, dropoutRate: Float = 0, threads: Int = 1,
                       precision: WeightMatrix.Precision = .f32) throws -> T5TrainingModel {
            try T5TrainingModel(config: config, file: model, mode: mode, dropoutRate: dropoutRate, threads: threads,
                                basePrecision: precision)
        }
    }

    /// Model `name` with the reference outputs of `golden` (golden: t5_golden.py's batch; ragged: lengths
    /// 31/509/3/170/88, gated model only), its batch padded as Hugging Face collates it.
    static func load(_ name: String, golden: String = "golden") throws -> Golden {
        let dir = root.appendingPathComponent(name).path
        let config = try T5Config.load(path: dir + "/config.json")
        let tensors = try SafeTensorsFile(path: dir + "/\(golden).safetensors")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/\(golden).json"))) as! [String: Any]
        let ids = try tensors.int64s("input_ids").map { Int32($0) }
        let mask = try tensors.int64s("attention_mask").map { Int32($0) }
        let labels = try tensors.int64s("labels").map { Int32($0) }
        let batchSize = try tensors.info("input_ids").shape[0]
        let batch = try UnpaddedBatch(inputIds: ids, attentionMask: mask, labels: labels, batchSize: batchSize,
                                      vocabSize: config.vocabSize)
        return Golden(directory: dir, config: config, model: try SafeTensorsFile(path: dir + "/model.safetensors"),
                      tensors: tensors, json: json, batch: batch)
    }

    /// ‖a − b‖ / ‖b‖ in Double.
    /// The cosine of the angle between two gradient vectors (in Double).
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var diff = 0.0, norm = 0.0
        for i in 0..<a.count {
            diff += Double(a[i] - b[i]) * Double(a[i] - b[i])
            norm += Double(b[i]) * Double(b[i])
        }
        return (diff / max(norm, 1e-300)).squareRoot()
    }
}
