import Failures
import Foundation

/// The learning-rate schedules of transformers' `get_scheduler` that the trainer offers (`train.lr_scheduler_type`),
/// as LambdaLR factors. Update k (0-based) uses `baseLearningRate · multiplier(k)`: the scheduler steps after the
/// optimiser, so the first update uses multiplier(0) (0 with warm-up).
///
/// - linear: up over the warm-up, then down to 0 at `totalSteps` (`get_linear_schedule_with_warmup`);
/// - cosine: up over the warm-up, then half a cosine down to 0 (`get_cosine_schedule_with_warmup`, num_cycles 0.5);
/// - constant: the base rate throughout (transformers' `constant` ignores a warm-up; here one is refused);
/// - constant_with_warmup: up over the warm-up, then the base rate.
public struct LearningRateSchedule: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case linear, cosine, constant
        case constantWithWarmup = "constant_with_warmup"
    }

    public var kind: Kind
    public var baseLearningRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(_ kind: Kind = .linear, baseLearningRate: Double, warmupSteps: Int = 0, totalSteps: Int) throws {
        guard baseLearningRate >= 0, baseLearningRate.isFinite else {
            throw PipelineError.usage("learning rate \(baseLearningRate) must be finite and non-negative")
        }
        guard warmupSteps >= 0, totalSteps > 0 else {
            throw PipelineError.usage("schedule needs warm-up ≥ 0 and total steps > 0 (got \(warmupSteps), \(totalSteps))")
        }
        guard kind != .constant || warmupSteps == 0 else {
            throw PipelineError.usage("train.lr_scheduler_type constant has no warm-up (transformers ignores one); "
                                      + "use constant_with_warmup")
        }
        self.kind = kind
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Hugging Face's warm-up length for a fraction of the run (`warmup_ratio` in transformers 4, a `warmup_steps`
    /// below 1 in 5): the total times the ratio, rounded up.
    public static func warmupSteps(ratio: Double, totalSteps: Int) -> Int {
        Int((Double(totalSteps) * ratio).rounded(.up))
    }

    /// The LambdaLR factor after `step` scheduler steps, in transformers' arithmetic.
    public func multiplier(atStep step: Int) -> Double {
        switch kind {
        case .constant:
            return 1
        case .constantWithWarmup:
            return step < warmupSteps ? Double(step) / max(1.0, Double(warmupSteps)) : 1
        case .linear:
            if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
            return max(0.0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            // transformers: 0.5 * (1 + cos(pi * num_cycles * 2 * progress)), num_cycles 0.5, in that order
            return max(0, 0.5 * (1.0 + cos(Double.pi * 0.5 * 2.0 * progress)))
        }
    }

    /// The learning rate of update `step` (0-based), exactly as the Double torch passes to the kernel.
    public func learningRate(atStep step: Int) -> Double {
        baseLearningRate * multiplier(atStep: step)
    }
}
