// The adapters' tensors under PEFT's adapter_model.safetensors key names ("base_model.model.<module path>.<tensor>":
// LoRA's lora_A.weight [r, in] and lora_B.weight [out, r], IA3's ia3_l), in layer order.
import Failures
import PEFT
import SafeTensors

extension T5TrainingModel {
    /// Every adapter tensor, keyed as PEFT saves them: a prompt method's one `prompt_embeddings` [2n, d] (P-tuning's
    /// MLP output), prefix tuning's [n, layers·2·d], or each adapted layer's tensors.
    public var adapterTensors: [(key: String, shape: [Int], values: [Float])] {
        if let encoderPrompt {
            let table = encoderPrompt.parameters[0]
            return [(AdapterTensorNames.promptEmbeddings, table.shape, encoderPrompt.savedEmbeddings())]
        }
        if let decoderPrefix { return [(AdapterTensorNames.promptEmbeddings, decoderPrefix.table.shape, decoderPrefix.table.values)] }
        return adaptedLayers.flatMap { $0.adapter!.parameters.map { ($0.name, $0.shape, $0.values) } }
    }

    /// Sets every adapter tensor from `values` (PEFT keys); a missing key or wrong size is an error naming `source`.
    public func setAdapters(_ values: [String: [Float]], source: String) throws {
        for p in trainableParameters {
            guard let v = values[p.name] else { throw PipelineError.badInput("missing adapter tensor '\(p.name)'", path: source) }
            guard v.count == p.count else {
                throw PipelineError.badInput("adapter tensor '\(p.name)' has \(v.count) values, expected \(p.shape)", path: source)
            }
            v.withUnsafeBufferPointer { p.value.update(from: $0.baseAddress!, count: p.count) }
        }
    }

    /// Writes the adapter tensors as a PEFT adapter_model.safetensors image.
    public func adapterSafeTensors() throws -> [UInt8] {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for t in adapterTensors { try writer.add(t.key, shape: t.shape, floats: t.values) }
        return writer.serialized()
    }
}
