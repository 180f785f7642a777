import Foundation

/// The T5 linear layers an adapter may target, by their module name's last component.
public enum T5LinearModule: String, CaseIterable, Codable, Sendable {
    case q, k, v, o, wi, wi_0, wi_1, wo
}

/// One linear layer that receives a LoRA adapter.
public struct AdaptedModule: Equatable, Sendable {
    /// The module's name in the Hugging Face model, e.g. `encoder.block.0.layer.0.SelfAttention.q`.
    public var name: String
    public var inFeatures: Int
    public var outFeatures: Int

    /// PEFT's key for lora_A in `adapter_model.safetensors` (shape `r × inFeatures`).
    public var loraAKey: String { "base_model.model.\(name).lora_A.weight" }
    /// PEFT's key for lora_B in `adapter_model.safetensors` (shape `outFeatures × r`).
    public var loraBKey: String { "base_model.model.\(name).lora_B.weight" }

    /// lora_A plus lora_B elements at rank r.
    public func parameterCount(rank r: Int) -> Int { r * (inFeatures + outFeatures) }
}

/// PEFT's rule for a list of `target_modules` (peft.tuners.tuners_utils.check_target_module_exists):
/// a module is targeted when its full name equals a target or ends with "." + target.
public func peftTargetMatches(moduleName: String, targets: [String]) -> Bool {
    targets.contains { moduleName == $0 || moduleName.hasSuffix("." + $0) }
}

/// The module names PEFT adapts, in the order of `weightNames` (Hugging Face parameter
/// names such as `encoder.block.0.layer.0.SelfAttention.q.weight`). Only `.weight`
/// parameters name a module; biases and other tensors are skipped.
public func adaptedModuleNames(weightNames: [String], targets: [String]) -> [String] {
    weightNames.compactMap { name -> String? in
        guard name.hasSuffix(".weight") else { return nil }
        let module = String(name.dropLast(".weight".count))
        return peftTargetMatches(moduleName: module, targets: targets) ? module : nil
    }
}

/// The adapted modules with their sizes, from the base model's weight names and shapes
/// (`[out, in]` for a linear layer), in the order given. Fails when a target is not a
/// T5 linear layer name, when a matched weight is not two-dimensional, or when nothing matches
/// (PEFT also refuses a config whose targets are absent from the model).
public func adaptedModules(weightShapes: [(name: String, shape: [Int])], targets: [String]) throws -> [AdaptedModule] {
    try validateTargets(targets)
    let shapeOf = Dictionary(weightShapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    let names = adaptedModuleNames(weightNames: weightShapes.map(\.name), targets: targets)
    guard !names.isEmpty else {
        throw LoRAError.invalidConfiguration("target modules \(targets) match no layer of the base model")
    }
    return try names.map { name in
        let shape = shapeOf[name + ".weight"] ?? []
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            throw LoRAError.invalidConfiguration("target \(name) has weight shape \(shape), not a linear layer")
        }
        return AdaptedModule(name: name, inFeatures: shape[1], outFeatures: shape[0])
    }
}

/// Throws unless `targets` is a non-empty list of T5 linear layers: each a `T5LinearModule` name, or a
/// dotted suffix of a module name ending in one (PEFT's suffix rule, e.g. `SelfAttention.q`).
public func validateTargets(_ targets: [String]) throws {
    guard !targets.isEmpty else { throw LoRAError.invalidConfiguration("target_modules is empty") }
    for t in targets {
        let leaf = t.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? t
        guard T5LinearModule(rawValue: leaf) == nil else { continue }
        let known = T5LinearModule.allCases.map(\.rawValue).joined(separator: " ")
        throw LoRAError.invalidConfiguration("target module \"\(t)\" is not a T5 linear layer (known: \(known))")
    }
}
