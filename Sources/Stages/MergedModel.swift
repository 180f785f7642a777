import Foundation
import PEFT
import SafeTensors
import T5Training

/// `train-lora --merge`: the base weights with every adapter folded in,
/// W' = W + scale · B · A, written under the base model's Hugging Face names, so the result
/// loads in transformers as a plain T5ForConditionalGeneration.
enum MergedModel {
    static func write(base: SafeTensorsFile, model: T5TrainingModel, to url: URL) throws {
        var adapted: [String: LinearLayer] = [:]
        for layer in model.loraLayers { adapted["\(layer.path).weight"] = layer }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in base.names {
            let info = try base.info(name)
            var values = try base.floats(name)
            if let layer = adapted[name], let lora = layer.lora {
                values.withUnsafeMutableBufferPointer { w in
                    mergeLoRA(into: w.baseAddress!, a: lora.a.value, b: lora.b.value, rank: lora.rank,
                              inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, scale: lora.scale)
                }
            }
            try writer.add(name, shape: info.shape, floats: values)
        }
        try writer.write(to: url.path)
    }
}
