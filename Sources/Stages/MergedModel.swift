import Foundation
import SafeTensors
import T5Training

/// `train-lora --merge`: the base weights with every adapter folded in as PEFT's `merge_and_unload` folds it
/// (LoRA: W' = W + scale · B · A; IA3: W ⊙ ia3_l), written under the base model's Hugging Face names, so the result
/// loads in transformers as a plain T5ForConditionalGeneration.
enum MergedModel {
    static func write(base: SafeTensorsFile, model: T5TrainingModel, to url: URL) throws {
        var adapted: [String: LinearLayer] = [:]
        for layer in model.adaptedLayers { adapted["\(layer.path).weight"] = layer }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in base.names {
            let info = try base.info(name)
            var values = try base.floats(name)
            if let layer = adapted[name], let adapter = layer.adapter {
                values.withUnsafeMutableBufferPointer { adapter.merge(into: $0.baseAddress!, layer: layer) }
            }
            try writer.add(name, shape: info.shape, floats: values)
        }
        try writer.write(to: url.path)
    }
}
