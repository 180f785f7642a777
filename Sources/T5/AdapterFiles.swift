// A PEFT adapter directory as read for inference: adapter_config.json (strict, bounded, fuzzed: AdapterConfig) and
// adapter_model.safetensors, its keys grouped by module under the method's tensor names. Every method's loader
// (LoRAAdapter, IA3Adapter) reads through this, so each bad file is one error naming it.
import Failures
import Foundation
import PEFT
import SafeTensors

struct AdapterFiles {
    let config: AdapterConfig
    let configPath: String
    let weightsPath: String
    let file: SafeTensorsFile
    /// Module path → the tensor names it has (e.g. ["lora_A.weight", "lora_B.weight"]).
    let modules: [String: Set<String>]

    init(directory: String) throws {
        configPath = (directory as NSString).appendingPathComponent("adapter_config.json")
        config = try AdapterConfig.read(from: URL(fileURLWithPath: configPath))
        weightsPath = (directory as NSString).appendingPathComponent("adapter_model.safetensors")
        file = try SafeTensorsFile(path: weightsPath)
        let peftType = config.method.peftType
        if config.method.prompt != nil || config.method.prefix != nil {
            // one tensor, no module: prompt_embeddings
            guard file.names == [AdapterTensorNames.promptEmbeddings] else {
                throw PipelineError.badInput("a \(peftType) adapter holds one tensor, \(AdapterTensorNames.promptEmbeddings), not "
                                             + "\(file.names.sorted().prefix(3).joined(separator: ", "))", path: weightsPath)
            }
            modules = [:]
            return
        }
        let expected = AdapterTensorNames.tensors(of: peftType)
        var modules: [String: Set<String>] = [:]
        for name in file.names {
            guard let (module, tensor) = AdapterTensorNames.split(name, peftType: peftType) else {
                throw PipelineError.badInput("unexpected tensor '\(name)' (a \(peftType) adapter has base_model.model.*."
                                             + "{\(expected.joined(separator: ","))})", path: weightsPath)
            }
            modules[module, default: []].insert(tensor)
        }
        guard !modules.isEmpty else { throw PipelineError.badInput("contains no \(peftType) tensors", path: weightsPath) }
        for (module, tensors) in modules.sorted(by: { $0.key < $1.key }) {
            guard AdapterTensorNames.isComplete(tensors, peftType: peftType) else {
                throw PipelineError.badInput("module '\(module)' has tensors \(tensors.sorted().joined(separator: ", ")): not one whole "
                                             + "\(peftType) adapter (\(expected.joined(separator: ", ")))", path: weightsPath)
            }
            guard config.method.matches(module) else {
                throw PipelineError.badInput("module '\(module)' is not among target_modules \(Self.targets(config.method))",
                                             path: weightsPath)
            }
        }
        self.modules = modules
    }

    /// The modules in sorted order.
    var modulePaths: [String] { modules.keys.sorted() }

    /// A module's tensor as fp32 with its shape; NaN or infinity is refused (it would decode as empty summaries).
    func tensor(_ module: String, _ tensor: String) throws -> (values: [Float], shape: [Int]) {
        try self.tensor(named: AdapterTensorNames.key(module: module, tensor: tensor), module: module)
    }

    /// A tensor by its key in the file, checked as `tensor(_:_:)` checks it.
    func tensor(named name: String, module: String) throws -> (values: [Float], shape: [Int]) {
        guard let info = file.tensors[name], info.dtype.isFloatingPoint else {
            throw PipelineError.badInput("tensor '\(name)' is missing or not floating-point", path: weightsPath)
        }
        let values = try file.floats(name)
        guard values.allSatisfy(\.isFinite) else {
            throw PipelineError.badInput("module '\(module)' holds a value that is not a finite number", path: weightsPath)
        }
        return (values, info.shape)
    }

    static func targets(_ method: AdapterMethod) -> String {
        switch method {
        case .lora(let c): return "\(c.targetPattern.map { [$0] } ?? c.targetModules.sorted())"
        case .ia3(let c): return "\(c.targetPattern.map { [$0] } ?? c.targetModules.sorted())"
        case .loha(let c), .lokr(let c): return "\(c.targetPattern.map { [$0] } ?? c.targetModules.sorted())"
        case .promptTuning, .pTuning, .prefixTuning: return "[]"
        }
    }
}
