// A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) for inference, applied to a
// T5Model unmerged (y += scale·(x·Aᵀ)·Bᵀ beside the frozen weight).
import Failures
import Foundation
import Kernels
import PEFT

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

        public init(a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int, scale: Float) {
            (self.a, self.b, self.rank, self.inFeatures, self.outFeatures, self.scale) = (a, b, rank, inFeatures, outFeatures, scale)
        }
    }

    /// The settings adapter_config.json gave (each update's rank and scale already follow them).
    public let config: LoRAConfig
    /// By module path, e.g. "encoder.block.0.layer.0.SelfAttention.q".
    public let updates: [String: Update]

    public init(config: LoRAConfig, updates: [String: Update]) {
        self.config = config
        self.updates = updates
    }

    /// Reads a PEFT LoRA adapter directory; another method, unsupported options or inconsistent tensors are errors.
    public static func load(directory: String) throws -> LoRAAdapter {
        let files = try AdapterFiles(directory: directory)
        guard let config = files.config.lora else {
            throw PipelineError.badInput("is a \(files.config.method.peftType) adapter, not LoRA", path: files.configPath)
        }
        return try LoRAAdapter(config: config, files: files)
    }

    init(config: LoRAConfig, files: AdapterFiles) throws {
        var updates: [String: Update] = [:]
        for module in files.modulePaths {
            let (a, aShape) = try files.tensor(module, "lora_A.weight")
            let (b, bShape) = try files.tensor(module, "lora_B.weight")
            let rank = config.rank(of: module)
            guard aShape.count == 2, bShape.count == 2, aShape[0] == rank, bShape[1] == rank else {
                throw PipelineError.badInput("module '\(module)' has lora_A \(aShape) / lora_B \(bShape), expected [\(rank), in] / [out, \(rank)]",
                                             path: files.weightsPath)
            }
            let scale = config.scale(of: module)
            guard scale.isFinite else {
                throw PipelineError.badInput("module '\(module)': lora_alpha / r = \(scale) is not a finite number", path: files.configPath)
            }
            updates[module] = Update(a: a, b: b, rank: rank, inFeatures: aShape[1], outFeatures: bShape[0], scale: scale)
        }
        self.init(config: config, updates: updates)
    }
}

extension T5Model {
    /// Attaches a LoRA adapter to this model's projections, unmerged (y += scale·(x·Aᵀ)·Bᵀ beside the frozen weight).
    /// Every adapted module must exist with matching shapes (an adapter trained for another base is rejected
    /// before anything changes). A merged model is `train-lora --merge`'s output, loaded as a plain model.
    public func apply(_ adapter: LoRAAdapter) throws {
        try attach(adapter.updates.mapValues { u in
            let adapter = ProjectionAdapter.lowRank(LowRankUpdate(a: FloatBuffer(u.a), b: FloatBuffer(u.b), rank: u.rank, scale: u.scale))
            return (adapter, { p in
                p.inFeatures == u.inFeatures && p.outFeatures == u.outFeatures ? nil
                    : "is \(u.outFeatures)x\(u.inFeatures) in the adapter but \(p.outFeatures)x\(p.inFeatures) in the model"
            })
        })
    }

    /// Attaches one adapter per module after checking every module first: it exists, `misfit` finds nothing wrong
    /// with its shape, and it has no adapter yet.
    func attach(_ adapters: [String: (adapter: ProjectionAdapter, misfit: (Projection) -> String?)]) throws {
        let projections = weights.projections
        for (module, update) in adapters.sorted(by: { $0.key < $1.key }) {
            guard let projection = projections[module] else {
                throw PipelineError.badInput("module '\(module)' does not exist in the model at \(directory)", path: "adapter")
            }
            if let misfit = update.misfit(projection) {
                throw PipelineError.badInput("module '\(module)' \(misfit): the adapter was trained for another base", path: "adapter")
            }
            guard projection.adapter == nil else { throw PipelineError.badInput("module '\(module)' already has an adapter", path: "adapter") }
        }
        for (module, update) in adapters { projections[module]!.adapter = update.adapter }
    }
}
