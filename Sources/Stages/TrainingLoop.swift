import Dataset
import Foundation
import JSON
import LoRA
import Pipeline
import T5Training

/// The optimisation settings of a run, as pipeline.yaml's `train.*` holds them.
public struct TrainingSettings: Sendable {
    public var epochs = 10, maxSteps = 0, batchSize = 8, gradAccum = 1
    public var learningRate = 1e-3, weightDecay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    public var warmupSteps = 0
    public var maxGradNorm = 1.0
    public var groupByLength = false
    public var seed: UInt64 = 42
    public var checkpointEvery = 100
    public init() {}
}

/// What a finished run reports (also the stage summary).
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var finalLoss: Float
    public var validationLoss: [Float]
    public var resumedFromStep: Int?
}

/// The training loop of train-lora: `TrainingOptimizer`'s update on the model's trainable
/// parameters (AdamW, HF's linear schedule, gradient-norm clipping), validation loss at
/// every epoch end, a checkpoint every `checkpointEvery` steps and at every epoch end,
/// and a log line per step. A NaN or infinite loss or gradient stops the run with the step
/// named; the last good checkpoint stays in `workDirectory`.
public final class TrainingLoop {
    let model: T5TrainingModel
    let train: TokenFile
    let validation: TokenFile?
    let settings: TrainingSettings
    let workDirectory: URL
    public let plan: TrainingPlan

    public init(model: T5TrainingModel, train: TokenFile, validation: TokenFile?, settings: TrainingSettings,
                workDirectory: URL) throws {
        guard train.count > 0 else { throw PipelineError.badInput("the training split is empty") }
        guard settings.batchSize > 0, settings.gradAccum > 0, settings.epochs > 0 || settings.maxSteps > 0,
              settings.checkpointEvery >= 0 else {
            throw PipelineError.usage("train.batch_size and train.grad_accum must be > 0, and epochs or max_steps > 0")
        }
        self.model = model
        self.train = train
        self.validation = validation
        self.settings = settings
        self.workDirectory = workDirectory
        plan = try TrainingPlan(lengths: train.sources.map(\.count), batchSize: settings.batchSize,
                                gradAccum: settings.gradAccum, epochs: settings.epochs, maxSteps: settings.maxSteps,
                                seed: settings.seed, groupByLength: settings.groupByLength)
    }

    /// Runs to the end (continuing from the checkpoint in `workDirectory` when `resume`) and
    /// returns the log lines and summary; the trained values are left in the model.
    public func run(resume: Bool) throws -> (log: [String], summary: TrainingSummary) {
        let params = model.trainableParameters
        let optimizer = try TrainingOptimizer(params: params, settings: settings, totalSteps: plan.totalSteps)

        var log: [String] = []
        var startStep = 0
        var resumedFrom: Int?
        if resume, let c = try TrainingCheckpoint.read(from: workDirectory, names: params.map(\.name)) {
            for p in params { c.values[p.name]!.withUnsafeBufferPointer { p.value.update(from: $0.baseAddress!, count: p.count) } }
            try optimizer.restore(step: c.step, firstMoments: c.firstMoments, secondMoments: c.secondMoments)
            model.step = c.forwardPasses
            startStep = c.step
            log = c.log
            resumedFrom = c.step
            report("train-lora: resuming from the checkpoint at step \(c.step) of \(plan.totalSteps)")
        } else {
            try? FileManager.default.removeItem(at: workDirectory.appendingPathComponent("checkpoint"))
        }

        let progress = Progress("train-lora", total: plan.totalSteps, unit: "steps")
        if startStep > 0 { progress.update(done: startStep) }
        let started = Date()
        var examplesSeen = 0
        var lastLoss: Float = .nan
        var validationLosses: [Float] = []
        for step in startStep..<plan.totalSteps {
            model.zeroGradients()
            let micro = try plan.microBatches(ofStep: step).map { batch in
                try TrainingBatch(sources: batch.map { train.sources[$0] }, targets: batch.map { train.labels[$0] },
                                  vocabSize: model.config.vocabSize, label: "train batch")
            }
            // Hugging Face ≥ 4.46: every micro-batch's summed token loss over the labelled tokens of the whole step.
            let labelTokens = micro.reduce(0) { $0 + $1.labelledTokens }
            var weightedLoss: Double = 0, loss: Float = 0
            for b in micro {
                loss = try model.forwardBackward(b, labelTokensInStep: labelTokens)
                weightedLoss += Double(loss) * Double(b.labelledTokens)
                examplesSeen += b.batchSize
            }
            // One micro-batch: its own mean, as returned (the bytes of every log without accumulation unchanged).
            if micro.count > 1 { loss = labelTokens == 0 ? 0 : Float(weightedLoss / Double(labelTokens)) }
            let norm = optimizer.clipGradients()
            guard loss.isFinite, norm.isFinite else {
                throw PipelineError(.trainingDiverged, "training diverged at step \(step + 1): loss \(loss), gradient norm \(norm); "
                                    + "the last good checkpoint is kept in \(workDirectory.path)")
            }
            let lr = optimizer.update(step: step)
            lastLoss = loss
            let elapsed = Date().timeIntervalSince(started)
            let line: JSONValue = ["step": .int(step + 1), "epoch": .double(Double(step + 1) / Double(plan.stepsPerEpoch)),
                                   "loss": .double(Double(loss)), "lr": .double(lr), "grad_norm": .double(Double(norm)),
                                   "examples_per_s": .double((Double(examplesSeen) / max(elapsed, 1e-9) * 100).rounded() / 100),
                                   "elapsed_s": .double((elapsed * 100).rounded() / 100)]
            log.append(line.canonical + "\n")
            progress.advance(note: String(format: "loss %.4f lr %.2e %.1f ex/s", loss, lr, Double(examplesSeen) / max(elapsed, 1e-9)))

            let endOfEpoch = (step + 1) % plan.stepsPerEpoch == 0 || step + 1 == plan.totalSteps
            if endOfEpoch, let validation {
                let v = try validationLoss(validation)
                validationLosses.append(v)
                log.append(JSONValue.object(["epoch": .int(plan.epoch(ofStep: step) + 1), "step": .int(step + 1),
                                             "validation_loss": .double(Double(v))]).canonical + "\n")
                report(String(format: "train-lora: epoch %d validation loss %.4f", plan.epoch(ofStep: step) + 1, v))
            }
            let due = settings.checkpointEvery > 0 && (step + 1) % settings.checkpointEvery == 0
            if (due || endOfEpoch) && step + 1 < plan.totalSteps {
                try checkpoint(step: step + 1, params: params, optimizer: optimizer, log: log)
            }
        }
        progress.finish()
        return (log, TrainingSummary(steps: plan.totalSteps, finalLoss: lastLoss, validationLoss: validationLosses,
                                     resumedFromStep: resumedFrom))
    }

    /// The validation pass's batches: example indices sorted by source length (ties by position) in groups
    /// of `batchSize`, so a batch holds similar lengths; the order is fixed, so the loss is too.
    public static func validationBatches(sourceLengths: [Int], batchSize: Int) -> [[Int]] {
        let byLength = sourceLengths.indices.sorted { (sourceLengths[$0], $0) < (sourceLengths[$1], $1) }
        return stride(from: 0, to: byLength.count, by: max(1, batchSize)).map {
            Array(byLength[$0..<min(byLength.count, $0 + max(1, batchSize))])
        }
    }

    /// Token-weighted mean loss over a split, eval mode (no dropout), in `validationBatches`.
    func validationLoss(_ split: TokenFile) throws -> Float {
        var total = 0.0, tokens = 0
        for idx in Self.validationBatches(sourceLengths: split.sources.map(\.count), batchSize: settings.batchSize) {
            let b = try TrainingBatch(sources: idx.map { split.sources[$0] }, targets: idx.map { split.labels[$0] },
                                      vocabSize: model.config.vocabSize, label: "validation batch")
            let n = idx.reduce(0) { $0 + split.labels[$1].count }
            total += Double(try model.loss(b)) * Double(n)
            tokens += n
        }
        return Float(total / Double(max(tokens, 1)))
    }

    private func checkpoint(step: Int, params: [Parameter], optimizer: TrainingOptimizer, log: [String]) throws {
        var c = TrainingCheckpoint(step: step, forwardPasses: model.step, values: [:], firstMoments: [:],
                                   secondMoments: [:], log: log)
        for (i, p) in params.enumerated() {
            c.values[p.name] = p.values
            (c.firstMoments[p.name], c.secondMoments[p.name]) = optimizer.moments(i)
        }
        try c.write(to: workDirectory)
    }
}
