import Dataset
import Failures
import Foundation
import JSON
import Kernels
import PEFT
import Pipeline
import Rouge
import SentencePiece
import T5
import T5Training
import Training

/// `train.metric_for_best_model: rouge1` (or rouge2, rougeL, rougeLsum): at each evaluation, summaries of the
/// validation examples generated with the adapter as it stands, scored against the examples' labels, as Hugging
/// Face's Seq2SeqTrainer does with `predict_with_generate` and a ROUGE `compute_metrics` (labels decoded with
/// `skip_special_tokens`). The adapter goes through its PEFT files into the inference engine (`T5Model`, loaded
/// once at the first evaluation, in the training's weight precision), so what is scored is what `generate` would
/// make of the published adapter with the `generation.*` settings. Under mpirun the ranks share the batches, as
/// `generate` does; rank 0 scores and sends every rank the figures, so all make the same choice.
final class ValidationROUGE {
    let metric: RougeType
    let modelDirectory: URL
    let base: BaseWeights
    let settings: GenerationSettings
    let batchSize: Int
    /// Where each evaluation's adapter files are written (the run's work folder).
    let scratch: URL
    let adapterConfig: () throws -> AdapterConfig
    let group: ProcessGroup
    private var model: T5Model?
    private let tokenizer: T5Tokenizer
    private let scorer: RougeScorer
    private var sources: [[Int32]] = []
    private var references: [String] = []

    /// The ROUGE type `train.metric_for_best_model` names, nil for "loss" (keyed only when it is not the loss: every run
    /// made before the setting existed kept by the loss).
    static func metric(_ p: ParameterReader, config: String) throws -> RougeType? {
        let name = p.string("train.metric_for_best_model", keyedUnless: "loss")
        guard name != "loss" else { return nil }
        guard let type = RougeType(rawValue: name) else {
            throw PipelineError.usage("train.metric_for_best_model must be loss, rouge1, rouge2, rougeL or rougeLsum, not \(name)",
                                      path: config)
        }
        return type
    }

    /// Reads (and so keys) the generation and scoring settings the evaluations use.
    init(metric: RougeType, p: ParameterReader, base: BaseWeights, modelDirectory: URL, scratch: URL, group: ProcessGroup,
         adapterConfig: @escaping () throws -> AdapterConfig) throws {
        self.metric = metric
        self.group = group
        self.base = base
        self.modelDirectory = modelDirectory
        self.scratch = scratch
        self.adapterConfig = adapterConfig
        settings = try GenerateStage.generationSettings(p)
        batchSize = p.int("generation.batch_size")
        tokenizer = try T5Tokenizer(path: modelDirectory.appendingPathComponent("spiece.model").path)
        scorer = RougeScorer(usesStemmer: true, lsumSplit: ScoreRougeStage.lsumSplit(p))
    }

    /// The validation examples the loop evaluates on: their sources, and their labels as text.
    func prepare(validation: TokenFile, indices: [Int]) throws {
        sources = indices.map { validation.sources[$0] }
        // skip_special_tokens also drops <unk> (id 2), which T5Tokenizer.decode renders as " ⁇ ".
        references = try indices.map { try tokenizer.decode(validation.labels[$0].filter { $0 != 2 }) }
    }

    /// Generates with the model's current trainable values and scores: the metric's mean F1, and all four logged.
    func evaluate(_ training: T5TrainingModel) throws -> GeneratedMetric {
        let model = try self.model ?? T5Model.load(directory: modelDirectory.path, weightPrecision: base.precision, nf4: base.nf4)
        self.model = model
        // one folder per rank: under mpirun the ranks on a host share the work folder
        let folder = scratch.appendingPathComponent("evaluation-adapter-rank\(group.rank)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try adapterConfig().write(to: folder.appendingPathComponent("adapter_config.json"))
        try Data(training.adapterSafeTensors()).write(to: folder.appendingPathComponent("adapter_model.safetensors"))
        model.removeAdapters()
        try model.apply(try PEFTAdapter.load(directory: folder.path))
        try? FileManager.default.removeItem(at: folder)

        // Under mpirun only rank 0 gets the summaries back (the others get none).
        let predictions = try GenerateStage.summarize(sources, model: model, tokenizer: tokenizer, settings: settings,
                                                      batchSize: batchSize, label: "train-lora: validation summaries",
                                                      group: group)
        var means = [Double](repeating: 0, count: RougeType.allCases.count)
        if group.isLeader {
            for (reference, prediction) in zip(references, predictions) {
                let scores = try scorer.score(target: reference, prediction: prediction)
                for (i, type) in RougeType.allCases.enumerated() { means[i] += scores[type].fmeasure }
            }
            means = means.map { $0 / Double(max(1, predictions.count)) }
        }
        if group.size > 1 {
            // the exact bits, so every rank compares the same numbers
            let sent = JSONValue.array(means.map { .int(Int(Int64(bitPattern: $0.bitPattern))) })
            means = try group.broadcast(sent).arrayValue!.map { Double(bitPattern: UInt64(bitPattern: Int64($0.intValue!))) }
        }
        var logged: [String: Double] = [:]
        for (i, type) in RougeType.allCases.enumerated() { logged[type.rawValue] = means[i] }
        return GeneratedMetric(value: logged[metric.rawValue]!, logged: logged)
    }
}
