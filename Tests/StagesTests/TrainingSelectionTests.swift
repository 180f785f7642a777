import Dataset
import Foundation
import JSON
import PEFT
import Pipeline
import SafeTensors
import T5
import T5Training
import Rouge
import SentencePiece
import XCTest
@testable import Stages
@testable import Training

/// `train.eval_every`, `train.eval_limit`, `train.keep: best` and `train.early_stopping_patience`: when the
/// validation loss is measured, on which examples, which step's state is published, when training stops, and
/// that a resumed run makes the same choices as an uninterrupted one.
final class TrainingSelectionTests: XCTestCase {
    /// The tiny model and token files of a prepared StageTestProject, to drive TrainingLoop directly.
    struct Run {
        let config: T5Config, weights: SafeTensorsFile, train: TokenFile, validation: TokenFile
        static let lora = LoRAConfig(rank: 4, alpha: 8, dropout: 0.05)

        init(_ p: StageTestProject) throws {
            config = try T5Config.load(path: p.url("data/model/config.json").path)
            weights = try SafeTensorsFile(path: p.url("data/model/model.safetensors").path)
            train = try TokenFile.read(path: p.url("data/tokens/train.safetensors").path)
            validation = try TokenFile.read(path: p.url("data/tokens/validation.safetensors").path)
        }

        func loop(_ s: TrainingSettings, work: URL, lora: LoRAConfig = Self.lora) throws -> (loop: TrainingLoop, model: T5TrainingModel) {
            let model = try T5TrainingModel(config: config, file: weights, mode: .lora(lora), dropoutRate: 0.1,
                                            dropoutSeed: s.seed, threads: 1)
            try model.initializeAdapters(seed: s.seed)
            return (try TrainingLoop(model: model, train: train, validation: validation, settings: s, workDirectory: work), model)
        }
    }

    /// LoRA on every linear layer at lr 0.05, with `settings()`' 8 examples, batch 4, 6 epochs: the validation loss
    /// falls to step 8 (5.3603), then turns up (5.3757 at step 9, 5.3885 at 12), the same to 1e-6 on AVX-512's and
    /// AVX2's kernels. Tests that depend on the curve's shape train so. At lr 0.5 on q and v it turns up chaotically:
    /// the curves of the two kernel sets part from step 3, and step 11 was best on both, by 7e-4 over step 12 on AVX2's.
    static let overfitting = (lora: LoRAConfig(rank: 4, alpha: 8, dropout: 0.05,
                                               targetModules: ["q", "k", "v", "o", "wi_0", "wi_1", "wo"]),
                              learningRate: 0.05)

    /// 8 examples, batch 4, 6 epochs: 12 steps at lr 0.5, where the validation loss wanders (see `overfitting`).
    static func settings(evalEvery: Int = 1, keepBest: Bool = true, patience: Int = 0, checkpointEvery: Int = 0) -> TrainingSettings {
        var s = TrainingSettings()
        s.epochs = 6; s.batchSize = 4; s.learningRate = 0.5; s.weightDecay = 0.01
        s.evalEvery = evalEvery; s.keepBest = keepBest; s.earlyStoppingPatience = patience; s.checkpointEvery = checkpointEvery
        return s
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("selection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testKeepBestPublishesTheLowestValidationLossAndTiesKeepTheEarlierStep() throws {
        let p = try StageTestProject()
        _ = try p.prepareForTraining(examples: 8)
        let run = try Run(p)
        var s = Self.settings()
        s.learningRate = Self.overfitting.learningRate
        let (loop, _) = try run.loop(s, work: try temporaryDirectory(), lora: Self.overfitting.lora)
        let (log, summary) = try loop.run(resume: false)
        let evaluations = TrainingLoop.evaluations(inLog: log)
        XCTAssertEqual(evaluations.map(\.step), Array(1...12))
        let lowest = evaluations.min { ($0.loss, $0.step) < ($1.loss, $1.step) }!
        XCTAssertEqual(summary.keptStep, lowest.step)
        XCTAssertEqual(summary.keptValidationLoss, lowest.loss)
        XCTAssertNotEqual(lowest.step, 12, "these settings should overfit, so that best and last differ: \(evaluations)")
        // The model holds the kept state: its validation loss is the recorded one, bit for bit.
        XCTAssertEqual(try loop.validationLoss(run.validation), lowest.loss)
    }

    /// Patience 2: training stops after the first two evaluations in a row that do not beat the best so far
    /// (found here by walking the uninterrupted run's curve), publishes that best step, and the log's last
    /// line says so.
    func testEarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement() throws {
        let p = try StageTestProject()
        _ = try p.prepareForTraining(examples: 8)
        let run = try Run(p)
        var s = Self.settings()
        s.learningRate = Self.overfitting.learningRate
        let (full, _) = try run.loop(s, work: try temporaryDirectory(), lora: Self.overfitting.lora)
        let curve = TrainingLoop.evaluations(inLog: try full.run(resume: false).log)
        var bestSoFar = curve[0], stop: Int?
        for e in curve.dropFirst() {
            if e.loss < bestSoFar.loss { bestSoFar = e } else if e.step - bestSoFar.step == 2 { stop = e.step; break }
        }
        guard let stop else { return XCTFail("these settings should overfit, so that patience 2 stops the run") }
        let best = bestSoFar
        s.earlyStoppingPatience = 2
        let (loop, _) = try run.loop(s, work: try temporaryDirectory(), lora: Self.overfitting.lora)
        let (log, summary) = try loop.run(resume: false)
        XCTAssertEqual(summary.stoppedEarlyAtStep, best.step + 2)
        XCTAssertEqual(summary.steps, best.step + 2)
        XCTAssertEqual(summary.keptStep, best.step)
        XCTAssertEqual(TrainingLoop.evaluations(inLog: log).map(\.loss), Array(curve.prefix(stop).map(\.loss)),
                       "the same curve up to the stop")
        let last = try JSONValue.parse(Data(log.last!.utf8))
        XCTAssertEqual(last["early_stopping"], .bool(true))
        XCTAssertEqual(last["best_step"], .int(best.step))
        XCTAssertEqual(try loop.validationLoss(run.validation), best.loss)
    }

    /// A run resumed from its last checkpoint (wherever that falls: before a later best, after the best while
    /// early stopping counts) makes the same choices as the uninterrupted run and ends with the same values,
    /// summary and log (timings aside). Curve (24 examples, lr 0.5 on q and v): step 2 beats step 1 on every kernel
    /// set, so patience 6 cannot stop the run before step 8 and the last checkpoints below are the same everywhere;
    /// from step 3 the curve depends on the kernels (AVX-512's: best at 2, 6, 8, then 10; AVX2's: 2, then a stop at 8),
    /// which the comparisons of run A with run B, on one machine, do not.
    func testResumedRunKeepsAndStopsAsTheUninterruptedOne() throws {
        let p = try StageTestProject()
        _ = try p.prepareForTraining(examples: 24)
        let run = try Run(p)
        // (checkpoint_every, patience, the last checkpoint's step): checkpoints also at the epoch end (step 6).
        for (every, patience, resumeStep) in [(0, 0, 6), (5, 0, 10), (7, 6, 7)] {
            var s = Self.settings(patience: patience, checkpointEvery: every)
            s.epochs = 2; s.learningRate = 0.5
            let work = try temporaryDirectory()
            let (a, modelA) = try run.loop(s, work: work)
            let (logA, summaryA) = try a.run(resume: false)
            let (b, modelB) = try run.loop(s, work: work)  // the same work directory: A's last checkpoint
            let (logB, summaryB) = try b.run(resume: true)
            let label = "checkpoint_every \(every), patience \(patience)"
            XCTAssertEqual(summaryB.resumedFromStep, resumeStep, label)
            XCTAssertEqual([summaryA.keptStep, summaryA.steps], [summaryB.keptStep, summaryB.steps], label)
            XCTAssertEqual(summaryA.keptValidationLoss, summaryB.keptValidationLoss, label)
            XCTAssertEqual(summaryA.stoppedEarlyAtStep, summaryB.stoppedEarlyAtStep, label)
            XCTAssertEqual(summaryA.validationLoss, summaryB.validationLoss, label)
            for (pa, pb) in zip(modelA.trainableParameters, modelB.trainableParameters) {
                XCTAssertTrue(pa.values == pb.values, "\(label): \(pa.name) differs")
            }
            XCTAssertEqual(logA.map(Self.withoutTimings), logB.map(Self.withoutTimings), label)
        }
    }

    static func withoutTimings(_ line: String) -> String {
        guard case .object(var o)? = try? JSONValue.parse(Data(line.utf8)) else { return line }
        o["elapsed_s"] = nil
        o["examples_per_s"] = nil
        o["communication_s"] = nil
        o["waiting_s"] = nil
        return JSONValue.object(o).canonical
    }

    /// Ties keep the earlier step, and only a lower loss resets the count early stopping uses.
    func testBestSoFarKeepsTheEarlierStepOnATie() {
        var best: BestSoFar?
        BestSoFar.update(&best, step: 2, validationLoss: 1.5) { ["a": [1]] }
        BestSoFar.update(&best, step: 4, validationLoss: 1.5) { ["a": [2]] }
        XCTAssertEqual(best, BestSoFar(step: 2, validationLoss: 1.5, values: ["a": [1]], evaluationsWithoutImprovement: 1))
        BestSoFar.update(&best, step: 6, validationLoss: 1.25) { ["a": [3]] }
        XCTAssertEqual(best, BestSoFar(step: 6, validationLoss: 1.25, values: ["a": [3]], evaluationsWithoutImprovement: 0))
    }

    /// By a metric (generated ROUGE, higher is better): strictly higher replaces the best, a tie keeps the earlier
    /// step, whatever the loss does.
    func testBestSoFarByAMetricPrefersHigherAndKeepsTheEarlierStepOnATie() {
        var best: BestSoFar?
        BestSoFar.update(&best, step: 2, validationLoss: 1.5, metric: 0.25) { ["a": [1]] }
        BestSoFar.update(&best, step: 4, validationLoss: 1.0, metric: 0.25) { ["a": [2]] }
        XCTAssertEqual(best, BestSoFar(step: 2, validationLoss: 1.5, metric: 0.25, values: ["a": [1]], evaluationsWithoutImprovement: 1))
        BestSoFar.update(&best, step: 6, validationLoss: 2.0, metric: 0.5) { ["a": [3]] }
        XCTAssertEqual(best, BestSoFar(step: 6, validationLoss: 2.0, metric: 0.5, values: ["a": [3]], evaluationsWithoutImprovement: 0))
    }

    /// A metric the loop is given (here a stand-in for generated ROUGE: a function of the trainable values) picks the
    /// kept step, is logged at each evaluation, and survives a checkpoint: a resumed run keeps the same step.
    func testKeepBestByAGivenMetricAndResumeKeepsTheSameStep() throws {
        let p = try StageTestProject()
        _ = try p.prepareForTraining(examples: 24)
        let run = try Run(p)
        var s = Self.settings(checkpointEvery: 5)
        s.epochs = 2
        s.metricForBestModel = "rouge1"
        func metric(_ model: T5TrainingModel) -> GeneratedMetric {
            let v = model.trainableParameters.reduce(0.0) { $0 + $1.values.prefix(8).reduce(0.0) { $0 + Double($1) } }
            return GeneratedMetric(value: (v * 1000).rounded() / 1000, logged: ["rouge1": (v * 1000).rounded() / 1000])
        }
        let work = try temporaryDirectory()
        let (a, modelA) = try run.loop(s, work: work)
        a.generatedMetric = metric
        let (logA, summaryA) = try a.run(resume: false)
        let logged = TrainingLoop.logged("validation_rouge1", inLog: logA)
        XCTAssertEqual(logged.keys.sorted(), Array(1...12))
        let best = logged.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!
        XCTAssertEqual(summaryA.keptStep, best.key)
        XCTAssertEqual(summaryA.keptMetric, best.value)
        XCTAssertEqual(metric(modelA).value, best.value, "the model holds the kept state")
        let (b, modelB) = try run.loop(s, work: work)
        b.generatedMetric = metric
        let (logB, summaryB) = try b.run(resume: true)
        XCTAssertEqual(summaryB.resumedFromStep, 10)
        XCTAssertEqual(summaryB.keptStep, summaryA.keptStep)
        XCTAssertEqual(summaryB.keptMetric, summaryA.keptMetric)
        XCTAssertEqual(logA.map(Self.withoutTimings), logB.map(Self.withoutTimings))
        for (pa, pb) in zip(modelA.trainableParameters, modelB.trainableParameters) { XCTAssertTrue(pa.values == pb.values, pa.name) }
    }

    /// Through the stage on the demo model: train.metric_for_best_model rouge1 generates validation summaries at each
    /// evaluation, logs the four ROUGE F1 means, publishes the first step of the highest rouge1, and records it; the
    /// published adapter, generated with and scored on its own, gives the logged figure. The training itself is the
    /// loss run's (the same validation losses); the loss run is keyed as before the setting existed.
    func testStageKeepsTheStepOfTheHighestGeneratedROUGE() throws {
        let p = try StageTestProject()
        try p.copyDemoAssets()
        let args = ["--config", "pipeline.demo.yaml", "--set", "tokenize.subset_every=25", "--set", "train.max_steps=6",
                    "--set", "train.eval_every=2", "--set", "train.eval_limit=8", "--set", "train.keep=best",
                    "--set", "generation.max_new_tokens=16", "--set", "runtime.threads=1"]
        try FetchSamsumStage.run(try p.options(args), root: p.root)
        try FetchModelStage.run(try p.options(args), root: p.root)
        try TokenizeStage.run(try p.options(args), root: p.root)
        let byLoss = try TrainLoRAStage.run(try p.options(args), root: p.root)
        let lockByLoss = try String(contentsOf: p.url("pipeline.demo.lock"), encoding: .utf8)
        XCTAssertFalse(lockByLoss.contains("metric_for_best_model"))

        let r = try TrainLoRAStage.run(try p.options(args + ["--set", "train.metric_for_best_model=rouge1"]), root: p.root)
        XCTAssertNotEqual(r.key, byLoss.key)
        XCTAssertEqual(r.summary["validation_loss"], byLoss.summary["validation_loss"], "generating does not change the training")
        let log = try String(contentsOf: p.url("data/demo/adapter/log.jsonl"), encoding: .utf8).split(separator: "\n").map { String($0) + "\n" }
        let rouge1 = TrainingLoop.logged("validation_rouge1", inLog: log)
        XCTAssertEqual(rouge1.keys.sorted(), [2, 4, 6])
        for type in ["rouge2", "rougeL", "rougeLsum"] {
            XCTAssertEqual(TrainingLoop.logged("validation_\(type)", inLog: log).keys.sorted(), [2, 4, 6], type)
        }
        XCTAssertTrue(rouge1.values.allSatisfy { $0 > 0 && $0 <= 1 }, "\(rouge1)")
        let best = rouge1.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!
        let loss = TrainingLoop.evaluations(inLog: log).first { $0.step == best.key }!.loss
        let kept: JSONValue = ["rule": "best", "step": .int(best.key), "validation_loss": .double(Double(loss)),
                               "metric": "rouge1", "validation_rouge1": .double(best.value)]
        XCTAssertEqual(r.summary["kept"], kept)
        XCTAssertEqual(try JSONValue.parse(Data(contentsOf: p.url("pipeline.demo.lock")))["stages"]?["train-lora"]?["summary"]?["kept"], kept)

        // The published adapter through the inference engine on the same validation examples.
        let model = try T5Model.load(directory: p.url("data/demo/model").path, weightPrecision: .bf16)
        try model.apply(try PEFTAdapter.load(directory: p.url("data/demo/adapter").path))
        let tokenizer = try T5Tokenizer(path: p.url("data/demo/model/spiece.model").path)
        let validation = try TokenFile.read(path: p.url("data/demo/tokens/validation.safetensors").path)
        let indices = ValidationSubset.indices(sources: validation.sources, labels: validation.labels, limit: 8, seed: 42)
        let config = try PipelineConfig.load(path: p.url("pipeline.demo.yaml").path, overrides: ["generation.max_new_tokens=16"])
        let predictions = try GenerateStage.summarize(indices.map { validation.sources[$0] }, model: model, tokenizer: tokenizer,
                                                      settings: try GenerateStage.generationSettings(ParameterReader(config)),
                                                      batchSize: config.value("generation.batch_size").intValue!, label: "check")
        let scorer = RougeScorer()
        var sum = 0.0
        for (i, prediction) in zip(indices, predictions) {
            sum += try scorer.score(target: try tokenizer.decode(validation.labels[i].filter { $0 != 2 }), prediction: prediction).rouge1.fmeasure
        }
        XCTAssertEqual(sum / Double(indices.count), best.value, accuracy: 1e-12)

        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "train.metric_for_best_model=rouge1",
                                                                          "--set", "train.mode=full"]), root: p.root)) {
            XCTAssertTrue("\($0)".contains("train.metric_for_best_model rouge1 generates with an adapter"), "\($0)")
        }
    }

    /// eval_limit's subset: the requested size, in split order, chosen by content and seed (the same dialogues
    /// when the split is reordered), a different choice for another seed, and all of a split no larger.
    func testValidationSubsetIsAHashedChoiceOfTheRequestedSize() {
        let sources: [[Int32]] = (0..<50).map { [Int32($0), 7, Int32($0 % 3)] }
        let labels: [[Int32]] = (0..<50).map { [Int32($0 * 2), 1] }
        let chosen = ValidationSubset.indices(sources: sources, labels: labels, limit: 10, seed: 42)
        XCTAssertEqual(chosen.count, 10)
        XCTAssertEqual(chosen, chosen.sorted())
        let reversed = ValidationSubset.indices(sources: sources.reversed(), labels: labels.reversed(), limit: 10, seed: 42)
        XCTAssertEqual(Set(reversed.map { 49 - $0 }), Set(chosen))
        XCTAssertNotEqual(ValidationSubset.indices(sources: sources, labels: labels, limit: 10, seed: 43), chosen)
        XCTAssertEqual(ValidationSubset.indices(sources: sources, labels: labels, limit: 0, seed: 42), Array(0..<50))
        XCTAssertEqual(ValidationSubset.indices(sources: sources, labels: labels, limit: 50, seed: 42), Array(0..<50))
    }

    /// Through the stage: eval_every logs a validation loss every N steps and after the last; keep: best
    /// publishes the best step's adapter and records it in the manifest and the lock; eval_limit changes the key
    /// and measures fewer examples; early stopping without keep: best is refused.
    func testStageLogsEveryNStepsAndRecordsTheKeptStep() throws {
        // LoRA on every linear layer at a learning rate where the validation loss turns up after step 9 (5.3757
        // there, 5.3885 at step 12) while runs on other kernels agree to 1e-6: higher rates also turn it up, but
        // chaotically, so that which step is best depended on the CPU's kernels (0.7 on q and v did).
        let targets = ["q", "k", "v", "o", "wi_0", "wi_1", "wo"]
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: [
            "--set", "train.epochs=6", "--set", "train.lr=0.05", "--set", "lora.alpha=8", "--set", "train.eval_every=3",
            "--set", "lora.target_modules=[\(targets.joined(separator: ", "))]",
            "--set", "train.keep=best", "--set", "train.weights_dtype=f32"])  // `run.loop` below rebuilds an fp32 model
        let r = try TrainLoRAStage.run(try p.options(args), root: p.root)
        let log = try String(contentsOf: p.url("data/adapter/log.jsonl"), encoding: .utf8).split(separator: "\n").map { String($0) + "\n" }
        let evaluations = TrainingLoop.evaluations(inLog: log)
        XCTAssertEqual(evaluations.map(\.step), [3, 6, 9, 12])
        XCTAssertEqual(try JSONValue.parse(Data(log.first { $0.contains("validation_loss") }!.utf8))["epoch"], .double(1.5))
        let best = evaluations.min { ($0.loss, $0.step) < ($1.loss, $1.step) }!
        let kept: JSONValue = ["rule": "best", "step": .int(best.step), "validation_loss": .double(Double(best.loss))]
        XCTAssertNotEqual(best.step, 12, "best and last should differ here: \(evaluations)")
        XCTAssertEqual(r.summary["kept"], kept)
        let lock = try JSONValue.parse(Data(contentsOf: p.url("pipeline.lock")))
        XCTAssertEqual(lock["stages"]?["train-lora"]?["summary"]?["kept"], kept)
        // The published adapter is the kept state: loaded into a model, it gives the recorded validation loss.
        let run = try Run(p)
        let lora = LoRAConfig(rank: 4, alpha: 8, dropout: 0.05, targetModules: targets)
        let (loop, model) = try run.loop(Self.settings(), work: try temporaryDirectory(), lora: lora)
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        try model.setAdapters(Dictionary(uniqueKeysWithValues: try adapter.names.map { ($0, try adapter.floats($0)) }), source: "adapter")
        XCTAssertEqual(try loop.validationLoss(run.validation), best.loss)

        let limited = try TrainLoRAStage.run(try p.options(args + ["--set", "train.eval_limit=2"]), root: p.root)
        XCTAssertFalse(limited.cacheHit)
        XCTAssertNotEqual(limited.summary["validation_loss"], r.summary["validation_loss"])
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "train.keep=last",
                                                                          "--set", "train.early_stopping_patience=2"]), root: p.root)) {
            XCTAssertTrue("\($0)".contains("train.early_stopping_patience needs train.keep: best"), "\($0)")
        }
    }
}
