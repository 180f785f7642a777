// A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) for inference, applied to a
// T5Model unmerged (y += scale·(x·Aᵀ)·Bᵀ beside the frozen weight).
import Failures
import Foundation
import Kernels
import PEFT
import SafeTensors

public struct LoRAAdapter: Sendable {
    public struct Update: Sendable {
        /// A [rank, in] and B [out, rank], row-major fp32.
        public let a: [Float]
        public let b: [Float]
        public let rank: Int
        public let inFeatures: Int
        public let outFeatures: Int
        /// alpha/r (or alpha/√r) with this module's r and alpha (rank_pattern / alpha_pattern).
        public let scale: Float
    }

    /// The settings adapter_config.json gave (each update's rank and scale already follow them).
    public let config: LoRAConfig
    /// By module path, e.g. "encoder.block.0.layer.0.SelfAttention.q".
    public let updates: [String: Update]

    public init(config: LoRAConfig, updates: [String: Update]) {
        self.config = config
        self.updates = updates
    }

    /// Reads a PEFT adapter directory; unsupported options or inconsistent tensors are errors.
    /// The config is read by `AdapterConfig` (strict, bounded, fuzzed: docs/ARCHITECTURE.md), with PEFT's
    /// target rule.
    public static func load(directory: String) throws -> LoRAAdapter {
        let configPath = (directory as NSString).appendingPathComponent("adapter_config.json")
        let config = try AdapterConfig.read(from: URL(fileURLWithPath: configPath)).lora

        let weightsPath = (directory as NSString).appendingPathComponent("adapter_model.safetensors")
        let file = try SafeTensorsFile(path: weightsPath)
        var modules: Set<String> = []
        for name in file.names {
            guard let module = AdapterTensorNames.module(ofKey: name) else {
                throw PipelineError.badInput("unexpected tensor '\(name)' (expected base_model.model.*.lora_A/lora_B.weight)", path: weightsPath)
            }
            modules.insert(module)
        }
        guard !modules.isEmpty else { throw PipelineError.badInput("contains no LoRA tensors", path: weightsPath) }
        var updates: [String: Update] = [:]
        for module in modules.sorted() {
            let aName = AdapterTensorNames.a(module: module), bName = AdapterTensorNames.b(module: module)
            guard let a = file.tensors[aName], let b = file.tensors[bName] else {
                throw PipelineError.badInput("module '\(module)' lacks its lora_A or lora_B tensor", path: weightsPath)
            }
            let rank = config.rank(of: module)
            guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == rank, b.shape[1] == rank,
                  a.dtype.isFloatingPoint, b.dtype.isFloatingPoint else {
                throw PipelineError.badInput("module '\(module)' has lora_A \(a.shape) / lora_B \(b.shape), expected [\(rank), in] / [out, \(rank)]", path: weightsPath)
            }
            guard config.matches(module) else {
                throw PipelineError.badInput("module '\(module)' is not among target_modules \(config.targetPattern.map { [$0] } ?? config.targetModules.sorted())", path: weightsPath)
            }
            let aValues = try file.floats(aName), bValues = try file.floats(bName)
            let scale = config.scale(of: module)
            // NaN or infinity would decode as empty summaries (issue 33, item 3).
            guard aValues.allSatisfy(\.isFinite), bValues.allSatisfy(\.isFinite) else {
                throw PipelineError.badInput("module '\(module)' holds a value that is not a finite number", path: weightsPath)
            }
            guard scale.isFinite else {
                throw PipelineError.badInput("module '\(module)': lora_alpha / r = \(scale) is not a finite number", path: configPath)
            }
            updates[module] = Update(a: aValues, b: bValues, rank: rank, inFeatures: a.shape[1], outFeatures: b.shape[0],
                                     scale: scale)
        }
        return LoRAAdapter(config: config, updates: updates)
    }
}

extension T5Model {
    /// Attaches `adapter` to this model's projections, unmerged (y += scale·(x·Aᵀ)·Bᵀ beside the frozen weight).
    /// Every adapted module must exist with matching shapes (an adapter trained for another base is rejected
    /// before anything changes). A merged model is `train-lora --merge`'s output, loaded as a plain model.
    public func apply(_ adapter: LoRAAdapter) throws {
        let projections = weights.projections
        for (module, update) in adapter.updates {
            guard let projection = projections[module] else {
                throw PipelineError.badInput("module '\(module)' does not exist in the model at \(directory)", path: "adapter")
            }
            guard projection.inFeatures == update.inFeatures, projection.outFeatures == update.outFeatures else {
                throw PipelineError.badInput("module '\(module)' is \(update.outFeatures)x\(update.inFeatures) in the adapter but \(projection.outFeatures)x\(projection.inFeatures) in the model: the adapter was trained for another base", path: "adapter")
            }
            guard projection.lora == nil else { throw PipelineError.badInput("module '\(module)' already has an adapter", path: "adapter") }
        }
        for (module, update) in adapter.updates {
            projections[module]!.lora = LowRankUpdate(a: FloatBuffer(update.a), b: FloatBuffer(update.b), rank: update.rank,
                                                      scale: update.scale)
        }
    }
}
