import Failures
import Foundation

/// HF `get_linear_schedule_with_warmup`: the multiplier rises linearly from 0 over the
/// warm-up steps, then falls linearly to 0 at `totalSteps`. As with torch's LambdaLR,
/// update k (0-based) uses `baseLearningRate · multiplier(k)`: the scheduler steps after
/// the optimiser, so the first update uses multiplier(0) (0 with warm-up, 1 without).
public struct LinearSchedule: Codable, Equatable, Sendable {
    public var baseLearningRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(baseLearningRate: Double, warmupSteps: Int = 0, totalSteps: Int) throws {
        guard baseLearningRate >= 0, baseLearningRate.isFinite else {
            throw PipelineError.usage("learning rate \(baseLearningRate) must be finite and non-negative")
        }
        guard warmupSteps >= 0, totalSteps > 0 else {
            throw PipelineError.usage("schedule needs warm-up ≥ 0 and total steps > 0 (got \(warmupSteps), \(totalSteps))")
        }
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The LambdaLR factor after `step` scheduler steps (transformers' `_get_linear_schedule_with_warmup_lr_lambda`).
    public func multiplier(atStep step: Int) -> Double {
        if step < warmupSteps {
            return Double(step) / Double(max(1, warmupSteps))
        }
        return max(0.0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }

    /// The learning rate of update `step` (0-based), exactly as the Double torch passes to the kernel.
    public func learningRate(atStep step: Int) -> Double {
        baseLearningRate * multiplier(atStep: step)
    }

    private enum CodingKeys: String, CodingKey {
        case baseLearningRate = "base_lr", warmupSteps = "warmup_steps", totalSteps = "total_steps"
    }
}
