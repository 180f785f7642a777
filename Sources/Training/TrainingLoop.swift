import Dataset
import Failures
import Foundation
import JSON
import Pipeline
import T5Training

/// The training loop of train-lora: `Optimizer`'s update on the model's trainable
/// parameters (AdamW, HF's linear schedule, gradient-norm clipping), validation loss at
/// every epoch end or every `evalEvery` steps, optionally keeping the best state and stopping
/// early (as Hugging Face's `load_best_model_at_end` and `EarlyStoppingCallback`), a checkpoint
/// every `checkpointEvery` steps and at every epoch end, and a log line per step. A NaN or
/// infinite loss or gradient stops the run with the step named; the last good checkpoint stays
/// in `workDirectory`.
public final class TrainingLoop {
    let model: T5TrainingModel
    let train: TokenFile
    let validation: TokenFile?
    let settings: TrainingSettings
    let workDirectory: URL
    /// The ranks sharing every step (one micro-batch each) and the validation pass; rank 0 writes the checkpoints.
    let group: ProcessGroup
    public let plan: BatchPlan
    /// The validation examples the loss is measured on (`train.eval_limit`).
    public let validationIndices: [Int]
    /// Under mpirun, this step's wall time spent waiting for the other ranks to finish their micro-batch, and
    /// then in the gradient and loss collectives (logged as waiting_s and communication_s).
    var waitingSeconds: TimeInterval = 0, communicationSeconds: TimeInterval = 0
    /// With `train.metric_for_best_model` other than the loss: generates summaries of the validation examples with
    /// the model's current trainable values and scores them (set by the stage, which has the tokenizer and scorer).
    public var generatedMetric: ((T5TrainingModel) throws -> GeneratedMetric)?

    public init(model: T5TrainingModel, train: TokenFile, validation: TokenFile?, settings: TrainingSettings,
                workDirectory: URL, group: ProcessGroup = SingleProcess()) throws {
        guard train.count > 0 else { throw PipelineError.badInput("the training split is empty") }
        guard settings.batchSize > 0, settings.gradAccum > 0, settings.epochs > 0 || settings.maxSteps > 0,
              settings.checkpointEvery >= 0 else {
            throw PipelineError.usage("train.batch_size and train.grad_accum must be > 0, and epochs or max_steps > 0")
        }
        guard settings.evalEvery >= 0, settings.evalLimit >= 0, settings.earlyStoppingPatience >= 0 else {
            throw PipelineError.usage("train.eval_every, train.eval_limit and train.early_stopping_patience must be >= 0")
        }
        guard settings.earlyStoppingPatience == 0 || settings.keepBest else {
            // Hugging Face's EarlyStoppingCallback likewise needs load_best_model_at_end.
            throw PipelineError.usage("train.early_stopping_patience needs train.keep: best")
        }
        guard !settings.keepBest || (validation?.count ?? 0) > 0 else {
            throw PipelineError.badInput("train.keep: best needs validation examples, and the validation split is empty")
        }
        self.model = model
        self.train = train
        self.validation = validation
        self.settings = settings
        self.workDirectory = workDirectory
        self.group = group
        guard group.size == 1 || settings.gradAccum == group.size else {
            throw PipelineError.internal("under \(group.size) ranks a step must have \(group.size) micro-batches")
        }
        validationIndices = validation.map {
            ValidationSubset.indices(sources: $0.sources, labels: $0.labels, limit: settings.evalLimit, seed: settings.seed)
        } ?? []
        plan = try BatchPlan(lengths: train.sources.map(\.count), batchSize: settings.batchSize,
                                gradAccum: settings.gradAccum, epochs: settings.epochs, maxSteps: settings.maxSteps,
                                seed: settings.seed, groupByLength: settings.groupByLength)
    }

    /// Runs to the end (continuing from the checkpoint in `workDirectory` when `resume`) and
    /// returns the log lines and summary; the kept values (the last, or with `keepBest` the best)
    /// are left in the model.
    public func run(resume: Bool) throws -> (log: [String], summary: TrainingSummary) {
        let params = model.trainableParameters
        let optimizer = try Optimizer(params: params, settings: settings, totalSteps: plan.totalSteps)
        let metricName = settings.metricForBestModel
        guard metricName == "loss" || generatedMetric != nil else {
            throw PipelineError.internal("train.metric_for_best_model \(metricName) without a way to generate and score")
        }

        var log: [String] = []
        var startStep = 0
        var resumedFrom: Int?
        var best: BestSoFar?
        if resume, let c = try Checkpoint.read(from: workDirectory, names: params.map(\.name)) {
            Self.set(params, to: c.values)
            try optimizer.restore(step: c.step, firstMoments: c.firstMoments, secondMoments: c.secondMoments)
            model.step = c.forwardPasses
            startStep = c.step
            log = c.log
            best = c.best
            resumedFrom = c.step
            report("train-lora: resuming from the checkpoint at step \(c.step) of \(plan.totalSteps)")
        } else if group.isLeader {
            try? FileManager.default.removeItem(at: workDirectory.appendingPathComponent("checkpoint"))
        }
        try checkRanksStartAtTheSameStep(startStep)

        let progress = Progress("train-lora", total: plan.totalSteps, unit: "steps")
        if startStep > 0 { progress.resume(at: startStep) }
        let started = Date()
        var examplesSeen = 0
        var lastLoss: Float = .nan
        var evaluations = Self.evaluations(inLog: log)
        var metricAtStep = Self.logged("validation_\(metricName)", inLog: log)
        var stoppedEarly: Int?
        for step in startStep..<plan.totalSteps {
            model.zeroGradients()
            communicationSeconds = 0
            waitingSeconds = 0
            let micro = try plan.microBatches(ofStep: step).map { batch in
                try UnpaddedBatch(sources: batch.map { train.sources[$0] }, targets: batch.map { train.labels[$0] },
                                  vocabSize: model.config.vocabSize, label: "train batch")
            }
            examplesSeen += micro.reduce(0) { $0 + $1.batchSize }
            let loss = try forwardBackward(micro)
            let norm = optimizer.clipGradients()
            guard loss.isFinite, norm.isFinite else {
                // name the checkpoint only when there is one (a run that diverges before its first has none)
                let kept = ["checkpoint", "checkpoint.old"].contains {
                    FileManager.default.fileExists(atPath: workDirectory.appendingPathComponent($0).appendingPathComponent("state.json").path)
                }
                throw PipelineError(.trainingDiverged, "training diverged at step \(step + 1): loss \(loss), gradient norm \(norm); "
                                    + (kept ? "the last good checkpoint is kept in \(workDirectory.path) (--resume continues from it)"
                                            : "no checkpoint was written before it (a lower train.lr or a warm-up may help)"))
            }
            let lr = optimizer.update(step: step)
            lastLoss = loss
            let elapsed = Date().timeIntervalSince(started)
            var line: [String: JSONValue] = ["step": .int(step + 1), "epoch": .double(epochs(afterStep: step)),
                                             "loss": .double(Double(loss)), "lr": .double(lr), "grad_norm": .double(Double(norm)),
                                             "examples_per_s": .double((Double(examplesSeen) / max(elapsed, 1e-9) * 100).rounded() / 100),
                                             "elapsed_s": .double((elapsed * 100).rounded() / 100)]
            if group.size > 1 {
                line["waiting_s"] = .double((waitingSeconds * 10_000).rounded() / 10_000)
                line["communication_s"] = .double((communicationSeconds * 10_000).rounded() / 10_000)
            }
            log.append(JSONValue.object(line).canonical + "\n")
            progress.advance(note: String(format: "loss %.4f lr %.2e %.1f ex/s", loss, lr, Double(examplesSeen) / max(elapsed, 1e-9)))

            let endOfEpoch = (step + 1) % plan.stepsPerEpoch == 0 || step + 1 == plan.totalSteps
            if isEvaluation(afterStep: step), let validation {
                let v = try validationLoss(validation)
                guard v.isFinite else {
                    throw PipelineError(.trainingDiverged, "the validation loss after step \(step + 1) is \(v); "
                                        + "the last good checkpoint is kept in \(workDirectory.path)")
                }
                evaluations.append((step + 1, v))
                let metric = try generatedMetric?(model)
                // Per-epoch evaluation logs the epoch number, as before eval_every existed.
                let epoch: JSONValue = settings.evalEvery > 0 ? .double(epochs(afterStep: step)) : .int(plan.epoch(ofStep: step) + 1)
                var entry: [String: JSONValue] = ["epoch": epoch, "step": .int(step + 1), "validation_loss": .double(Double(v))]
                for (name, value) in metric?.logged ?? [:] { entry["validation_\(name)"] = .double(value) }
                log.append(JSONValue.object(entry).canonical + "\n")
                if let metric { metricAtStep[step + 1] = metric.value }
                report(String(format: "train-lora: step %d validation loss %.4f", step + 1, v)
                       + (metric.map { String(format: ", %@ %.4f", metricName, $0.value) } ?? ""))
                if settings.keepBest {
                    BestSoFar.update(&best, step: step + 1, validationLoss: v, metric: metric?.value) {
                        Dictionary(uniqueKeysWithValues: params.map { ($0.name, $0.values) })
                    }
                    if settings.earlyStoppingPatience > 0, best!.evaluationsWithoutImprovement >= settings.earlyStoppingPatience,
                       step + 1 < plan.totalSteps {
                        stoppedEarly = step + 1
                        log.append(JSONValue.object(["step": .int(step + 1), "early_stopping": .bool(true), "best_step": .int(best!.step),
                                                     "evaluations_without_improvement": .int(best!.evaluationsWithoutImprovement)])
                            .canonical + "\n")
                        report("train-lora: early stopping after step \(step + 1): \(best!.evaluationsWithoutImprovement) "
                               + "evaluations without a \(metricName == "loss" ? "lower validation loss" : "higher validation \(metricName)") "
                               + "than step \(best!.step)'s")
                        break
                    }
                }
            }
            let due = settings.checkpointEvery > 0 && (step + 1) % settings.checkpointEvery == 0
            if (due || endOfEpoch) && step + 1 < plan.totalSteps && group.isLeader {
                try checkpoint(step: step + 1, params: params, optimizer: optimizer, log: log, best: best)
                Interruption.note = "the checkpoint of step \(step + 1) is kept; rerun with --resume (make reruns with it) to continue from there"
            }
        }
        progress.finish()
        let lastStep = stoppedEarly ?? plan.totalSteps
        var kept = (step: lastStep, loss: evaluations.last { $0.step == lastStep }?.loss, metric: metricAtStep[lastStep])
        if settings.keepBest, let best {
            Self.set(params, to: best.values)
            kept = (best.step, best.validationLoss, best.metric)
            report(String(format: "train-lora: keeping step %d (validation loss %.4f", best.step, best.validationLoss)
                   + (best.metric.map { String(format: ", %@ %.4f", metricName, $0) } ?? "") + ")")
        }
        return (log, TrainingSummary(steps: lastStep, finalLoss: lastLoss, validationLoss: evaluations.map(\.loss),
                                     resumedFromStep: resumedFrom, keptStep: kept.step, keptValidationLoss: kept.loss,
                                     keptMetric: kept.metric, stoppedEarlyAtStep: stoppedEarly))
    }

    /// One optimiser step's forward and backward over its micro-batches; returns the step's loss. Hugging
    /// Face ≥ 4.46: each micro-batch's summed token loss is divided by the labelled tokens of the whole step.
    /// Each micro-batch's gradient is computed on its own and the gradients are added in micro-batch order,
    /// ((g₀ + g₁) + g₂) …, whether one process runs them one after another or rank r runs micro-batch r
    /// (`ProcessGroup.orderedSum`): so W ranks at batch B give the bytes of one process at batch B/W,
    /// grad_accum W. Micro-batch k's dropout masks are those of forward pass `first + k` either way.
    func forwardBackward(_ micro: [UnpaddedBatch]) throws -> Float {
        let labelTokens = micro.reduce(0) { $0 + $1.labelledTokens }
        let first = model.step
        var parts: [(loss: Float, tokens: Int)] = []
        if group.size == 1 {
            var sum: [Float]?
            for (k, b) in micro.enumerated() {
                if k > 0 { model.zeroGradients() }
                parts.append((try model.forwardBackward(b, labelTokensInStep: labelTokens), b.labelledTokens))
                if micro.count > 1 {
                    let g = model.flatGradients()
                    if sum == nil { sum = g } else { addInPlace(&sum!, g) }
                }
            }
            if let sum { model.setGradients(sum) }
            return Self.stepLoss(parts, labelTokens: labelTokens)
        }
        var mine: [Float] = []
        if group.rank < micro.count {
            model.step = first + UInt64(group.rank)
            mine = [try model.forwardBackward(micro[group.rank], labelTokensInStep: labelTokens)]
        }
        model.step = first + UInt64(micro.count)
        // Timed apart: waiting for the slowest rank's micro-batch, then moving the gradients.
        let waitStarted = Date()
        try group.barrier()
        waitingSeconds += Date().timeIntervalSince(waitStarted)
        let communicationStarted = Date()
        defer { communicationSeconds += Date().timeIntervalSince(communicationStarted) }
        var flat = model.flatGradients()
        try group.orderedSum(&flat, contributors: micro.count)
        model.setGradients(flat)
        // Every rank knows each micro-batch's tokens; only the losses travel.
        let losses = try group.gather(floats: mine)
        var loss: Float = 0
        if group.isLeader {
            parts = zip(losses.prefix(micro.count), micro).map { ($0[0], $1.labelledTokens) }
            loss = Self.stepLoss(parts, labelTokens: labelTokens)
        }
        return try group.broadcast(loss)
    }

    /// The step's mean token loss from its micro-batches' means; one micro-batch: its own, as returned.
    static func stepLoss(_ parts: [(loss: Float, tokens: Int)], labelTokens: Int) -> Float {
        guard parts.count > 1 else { return parts.first?.loss ?? 0 }
        var weighted: Double = 0
        for p in parts { weighted += Double(p.loss) * Double(p.tokens) }
        return labelTokens == 0 ? 0 : Float(weighted / Double(labelTokens))
    }

    /// Every rank must continue from the same step: under mpirun a rank that cannot see rank 0's checkpoint
    /// (an unshared store on another machine) would train something else.
    func checkRanksStartAtTheSameStep(_ step: Int) throws {
        guard group.size > 1 else { return }
        let steps = try group.gather(step)
        if group.isLeader, let other = steps.firstIndex(where: { $0 != step }) {
            throw PipelineError.badInput("rank \(other) would start at step \(steps[other]), rank 0 at step \(step): every rank "
                                         + "must see rank 0's checkpoint (share or copy data/store between the machines)",
                                         path: workDirectory.path)
        }
    }

    /// Copies saved values (a checkpoint's, the best state's) into the trainable parameters.
    static func set(_ params: [Parameter], to values: [String: [Float]]) {
        for p in params { values[p.name]!.withUnsafeBufferPointer { p.value.update(from: $0.baseAddress!, count: p.count) } }
    }

    /// Epochs done after 0-based step `step` (a fraction inside an epoch).
    func epochs(afterStep step: Int) -> Double { Double(step + 1) / Double(plan.stepsPerEpoch) }

    /// Whether the validation loss is measured after 0-based step `step`: every `evalEvery` steps and
    /// after the last, or (evalEvery 0) at every epoch end.
    func isEvaluation(afterStep step: Int) -> Bool {
        if step + 1 == plan.totalSteps { return true }
        return settings.evalEvery > 0 ? (step + 1) % settings.evalEvery == 0 : (step + 1) % plan.stepsPerEpoch == 0
    }

    /// Step → the value of `field` on the evaluation lines of a log that have it, as a resumed run continues them.
    static func logged(_ field: String, inLog log: [String]) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for line in log {
            if let v = try? JSONValue.parse(Data(line.utf8)), let step = v["step"]?.intValue, let value = v[field]?.doubleValue {
                out[step] = value
            }
        }
        return out
    }

    /// The (step, validation loss) lines of a log, as a resumed run continues them.
    static func evaluations(inLog log: [String]) -> [(step: Int, loss: Float)] {
        logged("validation_loss", inLog: log).sorted { $0.key < $1.key }.map { ($0.key, Float($0.value)) }
    }

    /// The validation pass's batches: example indices sorted by source length (ties by position) in groups
    /// of `batchSize`, so a batch holds similar lengths; the order is fixed, so the loss is too.
    public static func validationBatches(sourceLengths: [Int], batchSize: Int) -> [[Int]] {
        let byLength = sourceLengths.indices.sorted { (sourceLengths[$0], $0) < (sourceLengths[$1], $1) }
        return stride(from: 0, to: byLength.count, by: max(1, batchSize)).map {
            Array(byLength[$0..<min(byLength.count, $0 + max(1, batchSize))])
        }
    }

    /// Token-weighted mean loss over the split's `validationIndices`, eval mode (no dropout), in `validationBatches`.
    /// Under mpirun, rank r takes batches r, r + W, …; rank 0 adds the batches' losses in batch order,
    /// as one process does, and every rank gets the result.
    func validationLoss(_ split: TokenFile) throws -> Float {
        let lengths = validationIndices.map { split.sources[$0].count }
        let batches = Self.validationBatches(sourceLengths: lengths, batchSize: settings.batchSize)
        // This rank's batches, longest last (they are sorted by source length), run longest first: the
        // activation arena then takes its size from the first batch instead of growing at every batch
        // (each growth is fresh memory: a page fault per 4 KiB, a fifth of a bf16 validation pass).
        let numbers = batches.indices.filter { $0 % group.size == group.rank }
        var mine = [Float](repeating: 0, count: numbers.count)
        for (slot, number) in numbers.enumerated().reversed() {
            let idx = batches[number].map { validationIndices[$0] }
            let b = try UnpaddedBatch(sources: idx.map { split.sources[$0] }, targets: idx.map { split.labels[$0] },
                                      vocabSize: model.config.vocabSize, label: "validation batch")
            mine[slot] = try model.loss(b)
        }
        let gathered = try group.gather(floats: mine)
        let losses = group.isLeader ? batches.indices.map { gathered[$0 % group.size][$0 / group.size] } : []
        var total = 0.0, tokens = 0
        for (positions, loss) in zip(batches, losses) {
            let n = positions.reduce(0) { $0 + split.labels[validationIndices[$1]].count }
            total += Double(loss) * Double(n)
            tokens += n
        }
        return try group.broadcast(Float(total / Double(max(tokens, 1))))
    }

    private func checkpoint(step: Int, params: [Parameter], optimizer: Optimizer, log: [String], best: BestSoFar?) throws {
        var c = Checkpoint(step: step, forwardPasses: model.step, values: [:], firstMoments: [:],
                                   secondMoments: [:], log: log, best: best)
        for (i, p) in params.enumerated() {
            c.values[p.name] = p.values
            (c.firstMoments[p.name], c.secondMoments[p.name]) = optimizer.moments(i)
        }
        try c.write(to: workDirectory)
    }
}
