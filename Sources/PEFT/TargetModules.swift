import Failures
import Foundation

/// The T5 linear layers an adapter may target, by their module name's last component.
public enum T5LinearModule: String, CaseIterable, Sendable {
    case q, k, v, o, wi, wi_0, wi_1, wo
}

/// PEFT's rule for a list of `target_modules` (peft.tuners.tuners_utils.check_target_module_exists):
/// a module is targeted when its full name equals a target or ends with "." + target.
public func peftTargetMatches(moduleName: String, targets: [String]) -> Bool {
    targets.contains { moduleName == $0 || moduleName.hasSuffix("." + $0) }
}

/// Throws unless `targets` is a non-empty list of T5 linear layers: each a `T5LinearModule` name, or a
/// dotted suffix of a module name ending in one (PEFT's suffix rule, e.g. `SelfAttention.q`).
public func validateTargets(_ targets: [String]) throws {
    guard !targets.isEmpty else { throw PipelineError.usage("target_modules is empty") }
    for t in targets {
        let leaf = t.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? t
        guard T5LinearModule(rawValue: leaf) == nil else { continue }
        let known = T5LinearModule.allCases.map(\.rawValue).joined(separator: " ")
        throw PipelineError.usage("target module \"\(t)\" is not a T5 linear layer (known: \(known))")
    }
}
