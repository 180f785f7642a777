import T5Training

/// train-lora's parameter update, as HF Trainer sets it up: AdamW (PyTorch's fused semantics) in two
/// groups (no weight decay on norm weights and biases, e.g. T5's relative_attention_bias), HF's learning-rate
/// schedule (`train.lr_scheduler_type`, warm-up from `warmup_steps` or `warmup_ratio`), and global gradient-norm clipping. One step is `clipGradients()` then `update(step:)`.
public final class Optimizer {
    let params: [Parameter]
    let settings: TrainingSettings
    let schedule: LearningRateSchedule
    private var groups: [AdamW]
    /// Parameter i is tensor indexInGroup[i] of group groupOf[i].
    private let groupOf: [Int], indexInGroup: [Int]

    public init(params: [Parameter], settings: TrainingSettings, totalSteps: Int) throws {
        self.params = params
        self.settings = settings
        groupOf = params.map { !$0.name.contains("layer_norm") && !$0.name.contains("bias") ? 0 : 1 }
        var counters = [0, 0]
        indexInGroup = groupOf.map { g in defer { counters[g] += 1 }; return counters[g] }
        let warmup = settings.warmupSteps > 0 ? settings.warmupSteps
            : LearningRateSchedule.warmupSteps(ratio: settings.warmupRatio, totalSteps: totalSteps)
        schedule = try LearningRateSchedule(settings.schedule, baseLearningRate: settings.learningRate, warmupSteps: warmup,
                                            totalSteps: totalSteps)
        let groupOf = self.groupOf
        groups = (0..<2).map { g in
            AdamW(hyper: Self.hyper(settings, group: g), tensorSizes: params.indices.filter { groupOf[$0] == g }.map { params[$0].count })
        }
    }

    private static func hyper(_ settings: TrainingSettings, group: Int) -> AdamWHyperparameters {
        AdamWHyperparameters(beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.eps,
                             weightDecay: group == 0 ? settings.weightDecay : 0)
    }

    private func members(_ group: Int) -> [Int] { params.indices.filter { groupOf[$0] == group } }

    /// Clips the accumulated gradients to `train.max_grad_norm`; returns the norm before clipping.
    public func clipGradients() -> Float {
        clipGradientNorm(params.map { UnsafeMutableBufferPointer(start: $0.gradient!, count: $0.count) },
                         maxNorm: Float(settings.maxGradNorm))
    }

    /// One AdamW update at `step`'s learning rate, which it returns.
    @discardableResult
    public func update(step: Int) -> Double {
        let lr = schedule.learningRate(atStep: step)
        let coefficients = [groups[0].beginStep(learningRate: lr), groups[1].beginStep(learningRate: lr)]
        for (i, p) in params.enumerated() {
            groups[groupOf[i]].update(tensor: indexInGroup[i], parameter: UnsafeMutableBufferPointer(start: p.value, count: p.count),
                                      gradient: UnsafeBufferPointer(start: p.gradient!, count: p.count),
                                      coefficients: coefficients[groupOf[i]])
        }
        return lr
    }

    /// Parameter i's AdamW moments (for a checkpoint).
    func moments(_ i: Int) -> (first: [Float], second: [Float]) {
        (groups[groupOf[i]].firstMoments[indexInGroup[i]], groups[groupOf[i]].secondMoments[indexInGroup[i]])
    }

    /// The state a checkpoint recorded after `step` updates.
    func restore(step: Int, firstMoments: [String: [Float]], secondMoments: [String: [Float]]) throws {
        groups = try (0..<2).map { g in
            try AdamW(hyper: Self.hyper(settings, group: g), step: step, firstMoments: members(g).map { firstMoments[params[$0].name]! },
                      secondMoments: members(g).map { secondMoments[params[$0].name]! })
        }
    }
}
