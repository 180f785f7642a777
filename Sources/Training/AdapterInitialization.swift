import Kernels
import PEFT
import T5Training

extension T5TrainingModel {
    /// PEFT's initialisation of every attached adapter from the run's seed, the Kaiming-uniform (a = √5) tensors drawn
    /// in module order from one Philox stream: LoRA's lora_A, lora_B zero; IA3's ia3_l ones (`init_ia3_weights`);
    /// LoHa's hada_w1_a, w1_b, w2_a, with w2_b zero; LoKr's w2 (or w2_a and w2_b) and w1_b, with w1 (or w1_a) zero.
    /// Each method starts from the base model's outputs.
    /// A prompt's table starts N(0, 1) (PEFT's RANDOM), or with TEXT as the embedding rows of `promptTextIds` (the
    /// init text's token ids, EOS included: `PromptConfig.initTokenIds` repeats and cuts them); P-tuning's MLP as
    /// torch's nn.Linear (Kaiming-uniform weights, U(±1/√fan_in) biases).
    public func initializeAdapters(seed: UInt64, promptTextIds: [Int32]? = nil) throws {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.loraInitialization)
        var values: [String: [Float]] = [:]
        if let prefix = decoderPrefix {
            // PEFT's PrefixEncoder: an nn.Embedding, N(0, 1)
            try setAdapters([prefix.table.name: standardNormal(count: prefix.table.count, generator: &generator)],
                            source: "adapter initialisation")
            return
        }
        if let prompt = encoderPrompt, let config = mode.method?.prompt {
            let table = prompt.parameters[0]
            if config.initialization == .text, !(prompt is TrainablePTuning) {
                guard let ids = promptTextIds, !ids.isEmpty else { preconditionFailure("TEXT initialisation without token ids") }
                let d = table.shape[1]
                values[table.name] = config.initTokenIds(ids).flatMap { id in
                    Array(UnsafeBufferPointer(start: weights.embedding.value + Int(id) * d, count: d))
                }
            } else {
                values[table.name] = standardNormal(count: table.count, generator: &generator)
            }
            if let p = prompt as? TrainablePTuning {
                for (w, b) in zip(p.weights, p.biases) {
                    values[w.name] = kaimingUniform(w, generator: &generator)
                    values[b.name] = linearBiasUniform(count: b.count, fanIn: w.shape[1], generator: &generator)
                }
            }
            try setAdapters(values, source: "adapter initialisation")
            return
        }
        for layer in adaptedLayers {
            switch layer.adapter {
            case let lora as TrainableLoRA:
                let (a, b) = initializeLoRAWeights(rank: lora.rank, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                                                   generator: &generator)
                values[lora.a.name] = a
                values[lora.b.name] = b
            case let ia3 as TrainableIA3:
                values[ia3.scaling.name] = [Float](repeating: 1, count: ia3.scaling.count)
            case let loha as TrainableLoHa:
                for p in [loha.w1a, loha.w1b, loha.w2a] { values[p.name] = kaimingUniform(p, generator: &generator) }
                values[loha.w2b.name] = [Float](repeating: 0, count: loha.w2b.count)
            case let lokr as TrainableLoKr:
                for p in lokr.parameters {
                    let zero = p.name.hasSuffix(".lokr_w1") || p.name.hasSuffix(".lokr_w1_a")
                    values[p.name] = zero ? [Float](repeating: 0, count: p.count) : kaimingUniform(p, generator: &generator)
                }
            default:
                preconditionFailure("no initialisation for \(String(describing: layer.adapter))")
            }
        }
        try setAdapters(values, source: "adapter initialisation")
    }
}

/// A 2-D tensor's Kaiming-uniform values (fan_in: its second dimension, as torch computes it).
private func kaimingUniform(_ p: Parameter, generator: inout PhiloxGenerator) -> [Float] {
    kaimingUniform(count: p.count, fanIn: p.shape[1], generator: &generator)
}
