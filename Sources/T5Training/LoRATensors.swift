// LoRA tensors under PEFT's adapter_model.safetensors key names
// ("base_model.model.<module path>.lora_A.weight" [r, in], ".lora_B.weight" [out, r]).
import Failures
import SafeTensors

extension T5TrainingModel {
    /// Every LoRA tensor (A then B per adapted layer), keyed as PEFT saves them.
    public var loraTensors: [(key: String, shape: [Int], values: [Float])] {
        loraLayers.flatMap { layer -> [(key: String, shape: [Int], values: [Float])] in
            let lora = layer.lora!
            return [(lora.a.name, lora.a.shape, lora.a.values), (lora.b.name, lora.b.shape, lora.b.values)]
        }
    }

    /// Sets every LoRA tensor from `values` (PEFT keys); a missing key or wrong size is an error naming `source`.
    public func setLoRA(_ values: [String: [Float]], source: String) throws {
        for layer in loraLayers {
            for p in [layer.lora!.a, layer.lora!.b] {
                guard let v = values[p.name] else { throw PipelineError.badInput("missing LoRA tensor '\(p.name)'", path: source) }
                guard v.count == p.count else {
                    throw PipelineError.badInput("LoRA tensor '\(p.name)' has \(v.count) values, expected \(p.shape)", path: source)
                }
                v.withUnsafeBufferPointer { p.value.update(from: $0.baseAddress!, count: p.count) }
            }
        }
    }

    /// Writes the LoRA tensors as a PEFT adapter_model.safetensors image.
    public func loraSafeTensors() throws -> [UInt8] {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for t in loraTensors { try writer.add(t.key, shape: t.shape, floats: t.values) }
        return writer.serialized()
    }
}
