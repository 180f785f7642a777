import Failures

/// PEFT's `IA3Config` ((IA)³, Liu et al. 2022): a learned vector `ia3_l` per targeted linear that scales its output
/// ([out, 1]), or, on a feed-forward module, its input ([1, in]). Nothing else is trained and there is no dropout.
/// pipeline.yaml's `ia3.*` and an `adapter_config.json` of `peft_type` IA3 both become one of these.
public struct IA3Config: Sendable, Equatable {
    /// `target_modules` as a list (PEFT's suffix rule, as for LoRA), or `targetPattern` (a full-match expression).
    public var targetModules: [String]
    public var targetPattern: String?
    /// `feedforward_modules` as a list: a target whose name ENDS WITH one of these (PEFT's `str.endswith`, no "."
    /// boundary, unlike the target rule) scales its input; or `feedforwardPattern`, a full-match expression.
    public var feedforwardModules: [String]
    public var feedforwardPattern: String?

    /// PEFT's T5 defaults (TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING and …_FEEDFORWARD_MODULES_MAPPING).
    public init(targetModules: [String] = ["k", "v", "wo"], targetPattern: String? = nil,
                feedforwardModules: [String] = ["wo"], feedforwardPattern: String? = nil) {
        self.targetModules = targetModules
        self.targetPattern = targetPattern
        self.feedforwardModules = feedforwardModules
        self.feedforwardPattern = feedforwardPattern
    }

    /// Whether the module at `modulePath` gets an `ia3_l`: PEFT's target rule, as LoRA's.
    public func matches(_ modulePath: String) -> Bool {
        guard let targetPattern else { return peftTargetMatches(moduleName: modulePath, targets: targetModules) }
        return peftTargetPatternMatches(targetPattern, moduleName: modulePath)
    }

    /// Whether a targeted module scales its input (PEFT's `_check_target_module_feedforward`).
    public func isFeedForward(_ modulePath: String) -> Bool {
        guard let feedforwardPattern else { return feedforwardModules.contains { modulePath.hasSuffix($0) } }
        return peftTargetPatternMatches(feedforwardPattern, moduleName: modulePath)
    }

    /// The shape of a module's `ia3_l`: [out, 1], or [1, in] on a feed-forward module.
    public func scalingShape(of modulePath: String, inFeatures: Int, outFeatures: Int) -> [Int] {
        isFeedForward(modulePath) ? [1, inFeatures] : [outFeatures, 1]
    }

    /// Targets that are T5 linear layers, expressions that compile, and, when both are lists, feed-forward modules
    /// among the targets (PEFT's own check). Errors name fields by `name(peftField)`.
    public func validate(naming name: (String) -> String = { $0 }) throws {
        if let targetPattern {
            guard isValidRegularExpression(targetPattern) else {
                throw PipelineError.usage("\(name("target_modules")) \"\(targetPattern)\" is not a regular expression")
            }
        } else {
            do { try validateTargets(targetModules) } catch let e as PipelineError {
                throw PipelineError.usage("\(name("target_modules")): \(e.message)")
            }
        }
        if let feedforwardPattern {
            guard isValidRegularExpression(feedforwardPattern) else {
                throw PipelineError.usage("\(name("feedforward_modules")) \"\(feedforwardPattern)\" is not a regular expression")
            }
        } else if targetPattern == nil, let stray = feedforwardModules.first(where: { !targetModules.contains($0) }) {
            throw PipelineError.usage("\(name("feedforward_modules")) \"\(stray)\" is not among \(name("target_modules")) "
                                      + "(PEFT requires a subset)")
        }
    }
}
