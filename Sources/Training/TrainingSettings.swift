import Failures

/// The optimisation settings of a run, as pipeline.yaml's `train.*` holds them (`TrainLoRAStage` reads every
/// field from there). The defaults are Hugging Face `TrainingArguments`' (and 100-step checkpoints), for tests
/// and tools that set only what they vary; the reference values live in pipeline.yaml alone.
public struct TrainingSettings: Sendable {
    public var epochs = 3, maxSteps = 0, batchSize = 8, gradAccum = 1
    public var learningRate = 5e-5, weightDecay = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    public var warmupSteps = 0
    /// The warm-up as a fraction of the run, when `warmupSteps` is 0 (Hugging Face rounds it up).
    public var warmupRatio = 0.0
    public var schedule = LearningRateSchedule.Kind.linear
    public var maxGradNorm = 1.0
    public var groupByLength = false
    public var seed: UInt64 = 42
    public var checkpointEvery = 100
    /// Validation loss every `evalEvery` steps and at the last (0: at every epoch end), on `evalLimit`
    /// examples of the split (0: all; else `ValidationSubset`'s hashed choice).
    public var evalEvery = 0, evalLimit = 0
    /// `train.keep: best`: publish the state of the lowest validation loss, not the last.
    public var keepBest = false
    /// Evaluations without a better one after which training stops (0: never); needs `keepBest`.
    public var earlyStoppingPatience = 0
    /// What "best" means (`train.metric_for_best_model`): the validation loss, or a ROUGE F1 of summaries
    /// generated at each evaluation (`TrainingLoop.generatedMetric` computes it).
    public var metricForBestModel = "loss"
    public init() {}
}

/// What `TrainingLoop.generatedMetric` measured at one evaluation: the value `train.metric_for_best_model`
/// names (higher is better) and the figures to log beside the validation loss.
public struct GeneratedMetric: Sendable {
    public var value: Double
    public var logged: [String: Double]

    public init(value: Double, logged: [String: Double]) {
        self.value = value
        self.logged = logged
    }
}

/// What a finished run reports (also the stage summary).
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var finalLoss: Float
    public var validationLoss: [Float]
    public var resumedFromStep: Int?
    /// The step whose trainable values the model holds at the end (the best one with `keepBest`), and
    /// its validation loss (nil if that step was not evaluated).
    public var keptStep: Int
    public var keptValidationLoss: Float?
    /// With a metric other than the loss, its value at the kept step (nil if that step was not evaluated).
    public var keptMetric: Double?
    /// Set when early stopping ended the run before the plan's last step.
    public var stoppedEarlyAtStep: Int?
}

extension TrainingSettings {
    /// The combinations no single parameter's range catches (messages name pipeline.yaml's keys).
    public func validate() throws {
        guard warmupSteps == 0 || warmupRatio == 0 else {
            throw PipelineError.usage("train.warmup_steps \(warmupSteps) and train.warmup_ratio \(warmupRatio) are both set; "
                                      + "set one (transformers would silently take warmup_steps)")
        }
        guard schedule != .constant || (warmupSteps == 0 && warmupRatio == 0) else {
            throw PipelineError.usage("train.lr_scheduler_type constant has no warm-up (transformers ignores one); "
                                      + "use constant_with_warmup")
        }
    }

    /// The settings of one of `ranks` processes that share every step (mpirun): each computes one micro-batch of
    /// `batchSize / ranks` examples, so together they are one process at `batchSize` with `grad_accum` = ranks.
    public func distributed(over ranks: Int) throws -> TrainingSettings {
        guard ranks > 1 else { return self }
        guard gradAccum == 1 else {
            throw PipelineError.usage("train.grad_accum must be 1 under mpirun: each of the \(ranks) ranks computes "
                                      + "one micro-batch of every step")
        }
        guard batchSize % ranks == 0 else {
            throw PipelineError.usage("train.batch_size \(batchSize) is not a multiple of the \(ranks) ranks")
        }
        var s = self
        s.batchSize /= ranks
        s.gradAccum = ranks
        return s
    }
}
