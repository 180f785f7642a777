import Foundation

/// The tensors of a PEFT LoRA adapter for a given model and rank: for each adapted
/// module, lora_A (`r × in`) then lora_B (`out × r`) under PEFT's keys, in module order
/// (the order of `get_peft_model_state_dict`).
public struct AdapterTensorLayout: Equatable, Sendable {
    public var modules: [AdaptedModule]
    public var rank: Int

    public init(modules: [AdaptedModule], rank: Int) {
        self.modules = modules
        self.rank = rank
    }

    /// Every key with its shape, in order.
    public var tensors: [(name: String, shape: [Int])] {
        modules.flatMap { m in
            [(name: m.loraAKey, shape: [rank, m.inFeatures]), (name: m.loraBKey, shape: [m.outFeatures, rank])]
        }
    }

    public var parameterCount: Int { modules.reduce(0) { $0 + $1.parameterCount(rank: rank) } }

    /// Fresh adapters as PEFT initialises them (lora_A Kaiming-uniform, lora_B zero),
    /// lora_A values drawn module by module from `PhiloxGenerator(seed, stream: RandomStream.loraInitialization)`.
    public func initialTensors(seed: UInt64) -> [NamedTensor] {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.loraInitialization)
        return modules.flatMap { m -> [NamedTensor] in
            let (a, b) = initializeLoRAWeights(rank: rank, inFeatures: m.inFeatures, outFeatures: m.outFeatures,
                                               generator: &generator)
            return [NamedTensor(name: m.loraAKey, shape: [rank, m.inFeatures], values: a),
                    NamedTensor(name: m.loraBKey, shape: [m.outFeatures, rank], values: b)]
        }
    }

    /// Checks the tensors found in an adapter file against this layout and returns their
    /// names in layout order. PEFT also writes keys with the adapter name removed only, so
    /// `…lora_A.default.weight` is accepted as `…lora_A.weight`. A missing, extra or
    /// mis-shaped tensor (an adapter for another model or rank) is one error line.
    public func match(found: [(name: String, shape: [Int])], path: String? = nil) throws -> [String] {
        var byKey: [String: (original: String, shape: [Int])] = [:]
        for t in found {
            let key = t.name.replacingOccurrences(of: ".default.weight", with: ".weight")
            guard byKey[key] == nil else { throw LoRAError.badInput("adapter tensor \(key) appears twice", path: path) }
            byKey[key] = (t.name, t.shape)
        }
        var names: [String] = []
        for expected in tensors {
            guard let got = byKey.removeValue(forKey: expected.name) else {
                throw LoRAError.badInput("adapter lacks \(expected.name) (it was made for another model or other target modules)", path: path)
            }
            guard got.shape == expected.shape else {
                throw LoRAError.badInput("adapter tensor \(expected.name) has shape \(got.shape), expected \(expected.shape) (another model or rank)", path: path)
            }
            names.append(got.original)
        }
        if let extra = byKey.keys.sorted().first {
            throw LoRAError.badInput("adapter has \(byKey.count) unexpected tensor(s), e.g. \(extra)", path: path)
        }
        return names
    }
}
