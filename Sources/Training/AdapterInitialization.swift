import Kernels
import PEFT
import T5Training

extension T5TrainingModel {
    /// PEFT's initialisation of every attached adapter from the run's seed: lora_A Kaiming-uniform, drawn in
    /// module order from one Philox stream; lora_B zero.
    public func initializeAdapters(seed: UInt64) throws {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.loraInitialization)
        var values: [String: [Float]] = [:]
        for layer in loraLayers {
            let (a, b) = initializeLoRAWeights(rank: layer.lora!.rank, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                                               generator: &generator)
            values[layer.lora!.a.name] = a
            values[layer.lora!.b.name] = b
        }
        try setLoRA(values, source: "LoRA initialisation")
    }
}
