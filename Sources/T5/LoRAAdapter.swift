// A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) for inference, applied to a
// T5Model either unmerged (y += scale·(x·Aᵀ)·Bᵀ beside the frozen weight) or merged (W += scale·B·A).
import Foundation
import Kernels
import SafeTensors

public struct LoRAAdapter: Sendable {
    public struct Update: Sendable {
        /// A [rank, in] and B [out, rank], row-major fp32.
        public let a: [Float]
        public let b: [Float]
        public let rank: Int
        public let inFeatures: Int
        public let outFeatures: Int
    }

    public let rank: Int
    public let alpha: Float
    public let useRSLoRA: Bool
    public let targetModules: [String]
    /// alpha / r, or alpha / sqrt(r) with rsLoRA.
    public let scale: Float
    /// By module path, e.g. "encoder.block.0.layer.0.SelfAttention.q".
    public let updates: [String: Update]

    public init(rank: Int, alpha: Float, useRSLoRA: Bool, targetModules: [String], updates: [String: Update]) {
        self.rank = rank
        self.alpha = alpha
        self.useRSLoRA = useRSLoRA
        self.targetModules = targetModules
        self.scale = useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
        self.updates = updates
    }

    static let keyPrefix = "base_model.model."

    /// Reads a PEFT adapter directory; unsupported options or inconsistent tensors are errors.
    public static func load(directory: String) throws -> LoRAAdapter {
        let configPath = (directory as NSString).appendingPathComponent("adapter_config.json")
        // A missing or unreadable file is Foundation's error (the stages map it to exit 66 or 74), not bad content.
        let data = try Data(contentsOf: URL(fileURLWithPath: configPath))
        guard data.count < 1 << 20, let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw T5Error(file: configPath, "not a JSON object")
        }
        func fail(_ problem: String) -> T5Error { T5Error(file: configPath, problem) }
        guard (json["peft_type"] as? String ?? "LORA") == "LORA" else { throw fail("peft_type is not LORA") }
        guard let rank = (json["r"] as? NSNumber)?.intValue, rank > 0, rank <= 65_536 else { throw fail("'r' must be a positive integer") }
        guard let alpha = (json["lora_alpha"] as? NSNumber)?.floatValue, alpha.isFinite else { throw fail("'lora_alpha' must be a number") }
        let useRSLoRA = json["use_rslora"] as? Bool ?? false
        if json["use_dora"] as? Bool == true { throw fail("DoRA adapters are not supported") }
        if json["fan_in_fan_out"] as? Bool == true { throw fail("fan_in_fan_out adapters are not supported") }
        if let bias = json["bias"] as? String, bias != "none" { throw fail("bias '\(bias)' is not supported (only 'none')") }
        if let pattern = json["rank_pattern"] as? [String: Any], !pattern.isEmpty { throw fail("rank_pattern is not supported") }
        if let pattern = json["alpha_pattern"] as? [String: Any], !pattern.isEmpty { throw fail("alpha_pattern is not supported") }
        if let saved = json["modules_to_save"] as? [Any], !saved.isEmpty { throw fail("modules_to_save is not supported") }
        let targets: [String]
        if let list = json["target_modules"] as? [String] { targets = list.sorted() }
        else if let single = json["target_modules"] as? String { targets = [single] }
        else { throw fail("'target_modules' is missing") }

        let weightsPath = (directory as NSString).appendingPathComponent("adapter_model.safetensors")
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: weightsPath) } catch let error as SafeTensorsError {
            throw T5Error(file: error.file, error.problem)
        }
        var modules: Set<String> = []
        for name in file.names {
            guard name.hasPrefix(keyPrefix), name.hasSuffix(".lora_A.weight") || name.hasSuffix(".lora_B.weight") else {
                throw T5Error(file: weightsPath, "unexpected tensor '\(name)' (expected base_model.model.*.lora_A/lora_B.weight)")
            }
            modules.insert(String(name.dropFirst(keyPrefix.count).dropLast(".lora_A.weight".count)))
        }
        guard !modules.isEmpty else { throw T5Error(file: weightsPath, "contains no LoRA tensors") }
        var updates: [String: Update] = [:]
        for module in modules.sorted() {
            let aName = keyPrefix + module + ".lora_A.weight", bName = keyPrefix + module + ".lora_B.weight"
            guard let a = file.tensors[aName], let b = file.tensors[bName] else {
                throw T5Error(file: weightsPath, "module '\(module)' lacks its lora_A or lora_B tensor")
            }
            guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == rank, b.shape[1] == rank,
                  a.dtype.isFloatingPoint, b.dtype.isFloatingPoint else {
                throw T5Error(file: weightsPath, "module '\(module)' has lora_A \(a.shape) / lora_B \(b.shape), expected [\(rank), in] / [out, \(rank)]")
            }
            if targets.count > 1 || !(targets.first?.contains(where: { "^$*+?()[]|\\".contains($0) }) ?? false) {
                let leaf = module.split(separator: ".").last.map(String.init) ?? module
                guard targets.contains(leaf) || targets.contains(module) else {
                    throw T5Error(file: weightsPath, "module '\(module)' is not among target_modules \(targets)")
                }
            }
            updates[module] = Update(a: try file.floats(aName), b: try file.floats(bName), rank: rank,
                                     inFeatures: a.shape[1], outFeatures: b.shape[0])
        }
        return LoRAAdapter(rank: rank, alpha: alpha, useRSLoRA: useRSLoRA, targetModules: targets, updates: updates)
    }
}

extension T5Model {
    public enum AdapterMode: String, Sendable { case unmerged, merged }

    /// Attaches `adapter` to this model's projections. Every adapted module must exist with matching
    /// shapes (an adapter trained for another base is rejected before anything changes).
    public func apply(_ adapter: LoRAAdapter, mode: AdapterMode) throws {
        let projections = weights.projections
        for (module, update) in adapter.updates {
            guard let projection = projections[module] else {
                throw T5Error(file: "adapter", "module '\(module)' does not exist in the model at \(directory)")
            }
            guard projection.inFeatures == update.inFeatures, projection.outFeatures == update.outFeatures else {
                throw T5Error(file: "adapter", "module '\(module)' is \(update.outFeatures)x\(update.inFeatures) in the adapter but \(projection.outFeatures)x\(projection.inFeatures) in the model: the adapter was trained for another base")
            }
            guard projection.lora == nil else { throw T5Error(file: "adapter", "module '\(module)' already has an adapter") }
        }
        for (module, update) in adapter.updates {
            let projection = projections[module]!
            switch mode {
            case .unmerged:
                projection.lora = LowRankUpdate(a: FloatBuffer(update.a), b: FloatBuffer(update.b), rank: update.rank, scale: adapter.scale)
            case .merged:
                // W + scale · B·A in fp32, then back to the model's weight precision
                var merged = projection.weight.converted(to: .f32).floats()
                merged.withUnsafeMutableBufferPointer { w in
                    GEMM.matmul(update.b, update.a, w.baseAddress!, m: update.outFeatures, k: update.rank, n: update.inFeatures,
                                alpha: adapter.scale, beta: 1)
                }
                let precision = projection.weight.precision
                projection.weight = WeightMatrix(rows: update.outFeatures, cols: update.inFeatures, values: merged).converted(to: precision)
            }
        }
    }
}
