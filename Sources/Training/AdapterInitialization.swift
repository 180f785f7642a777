import Kernels
import PEFT
import T5Training

extension T5TrainingModel {
    /// PEFT's initialisation of every attached adapter from the run's seed: LoRA's lora_A Kaiming-uniform, drawn in
    /// module order from one Philox stream, and lora_B zero; IA3's ia3_l ones (`init_ia3_weights=True`), so that
    /// training starts from the base model's outputs.
    public func initializeAdapters(seed: UInt64) throws {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.loraInitialization)
        var values: [String: [Float]] = [:]
        for layer in adaptedLayers {
            switch layer.adapter {
            case let lora as TrainableLoRA:
                let (a, b) = initializeLoRAWeights(rank: lora.rank, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                                                   generator: &generator)
                values[lora.a.name] = a
                values[lora.b.name] = b
            case let ia3 as TrainableIA3:
                values[ia3.scaling.name] = [Float](repeating: 1, count: ia3.scaling.count)
            default:
                preconditionFailure("no initialisation for \(String(describing: layer.adapter))")
            }
        }
        try setAdapters(values, source: "adapter initialisation")
    }
}
