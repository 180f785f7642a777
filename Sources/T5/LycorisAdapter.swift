// A PEFT LoHa or LoKr adapter for inference: each module's factors are read, checked against the shapes PEFT gives
// its layer, and multiplied out once into ΔW [out, in] (PEFT.LoHaWeight, PEFT.LoKrWeight), applied unmerged as
// y += x·ΔWᵀ beside the frozen weight, as PEFT's `F.linear(x, delta_weight)`.
import Failures
import Kernels
import PEFT

public struct LycorisAdapter: Sendable {
    public struct Update: Sendable {
        /// ΔW [out, in], row-major fp32, scale included.
        public let delta: [Float]
        public let inFeatures: Int
        public let outFeatures: Int
    }

    /// `.loha` or `.lokr`, with the settings adapter_config.json gave.
    public let method: AdapterMethod
    public let updates: [String: Update]

    init(method: AdapterMethod, files: AdapterFiles) throws {
        guard let config = method.lycoris else { preconditionFailure("\(method.peftType) is not LoHa or LoKr") }
        var updates: [String: Update] = [:]
        for module in files.modulePaths {
            var tensors: [String: (values: [Float], shape: [Int])] = [:]
            for name in files.modules[module]! { tensors[name] = try files.tensor(module, name) }
            guard tensors.values.allSatisfy({ $0.shape.count == 2 }) else {
                throw PipelineError.badInput("module '\(module)' has a tensor that is not a matrix", path: files.weightsPath)
            }
            let rank = config.rank(of: module), scale = config.scale(of: module)
            func shape(_ name: String) -> [Int] { tensors[name]!.shape }
            func mismatch(_ expected: [(name: String, shape: [Int])]) -> PipelineError {
                let got = tensors.keys.sorted().map { "\($0) \(shape($0))" }.joined(separator: ", ")
                let want = expected.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
                return PipelineError.badInput("module '\(module)' has \(got), expected \(want) for r \(rank)", path: files.weightsPath)
            }
            if case .loha = method {
                let (outF, inF) = (shape("hada_w1_a")[0], shape("hada_w1_b")[1])
                let expected = [("hada_w1_a", [outF, rank]), ("hada_w1_b", [rank, inF]), ("hada_w2_a", [outF, rank]), ("hada_w2_b", [rank, inF])]
                guard expected.allSatisfy({ shape($0.0) == $0.1 }) else { throw mismatch(expected) }
                let delta = LoHaWeight.delta(w1a: tensors["hada_w1_a"]!.values, w1b: tensors["hada_w1_b"]!.values,
                                             w2a: tensors["hada_w2_a"]!.values, w2b: tensors["hada_w2_b"]!.values, rank: rank,
                                             inFeatures: inF, outFeatures: outF, scale: scale)
                updates[module] = Update(delta: delta, inFeatures: inF, outFeatures: outF)
            } else {
                // The layer's widths from the factors' (a·b, c·d), then PEFT's own shapes for those widths must be these.
                let (a, c) = tensors["lokr_w1"].map { ($0.shape[0], $0.shape[1]) } ?? (shape("lokr_w1_a")[0], shape("lokr_w1_b")[1])
                let (b, d) = tensors["lokr_w2"].map { ($0.shape[0], $0.shape[1]) } ?? (shape("lokr_w2_a")[0], shape("lokr_w2_b")[1])
                let layout = LoKrShape(inFeatures: c * d, outFeatures: a * b, rank: rank, decomposeBoth: config.decomposeBoth,
                                       decomposeFactor: config.decomposeFactor)
                guard layout.tensors.count == tensors.count, layout.tensors.allSatisfy({ tensors[$0.name]?.shape == $0.shape }) else {
                    throw mismatch(layout.tensors)
                }
                updates[module] = Update(delta: LoKrWeight.delta(tensors.mapValues(\.values), shape: layout, scale: scale),
                                         inFeatures: c * d, outFeatures: a * b)
            }
        }
        self.method = method
        self.updates = updates
    }
}

extension T5Model {
    /// Attaches a LoHa or LoKr adapter, unmerged (y += x·ΔWᵀ); every module is checked before anything changes.
    public func apply(_ adapter: LycorisAdapter) throws {
        try attach(adapter.updates.mapValues { u in
            (.delta(FloatBuffer(u.delta)), { p in
                p.inFeatures == u.inFeatures && p.outFeatures == u.outFeatures ? nil
                    : "is \(u.outFeatures)x\(u.inFeatures) in the adapter but \(p.outFeatures)x\(p.inFeatures) in the model"
            })
        })
    }
}
