import Failures
import Foundation
import JSON
import Pipeline
import Rouge

/// `score-rouge`: base and LoRA predictions against the test references →
/// `metrics/rouge.json` (means, bootstrap CIs, paired differences, the keys of the stages
/// that made the inputs) and `metrics/rouge-per-example.jsonl`.
public enum ScoreRougeStage {
    @discardableResult
    public static func run(_ options: StageOptions, format: OutputFormat = .table, root: URL? = nil) throws -> (StageResult, String) {
        let run = try StageRun(stage: "score-rouge", formatVersion: 1, options: options, root: root)
        let p = run.params
        let bootstrap = try bootstrap(p, config: options.config)
        let lsumSplit = lsumSplit(p)
        let base = try run.input("base.jsonl", path: run.dataPath("predictions/base.jsonl"))
        let lora = try run.input("lora.jsonl", path: run.dataPath("predictions/lora.jsonl"))
        let references = try run.input("test.jsonl", path: run.dataPath("samsum/test.jsonl"))
        // generate scored only the first generation.limit examples: then a subset is what was asked for.
        // The predictions' hash already carries the limit, so it need not be in this stage's key.
        let limit = p.unhashed("generation.limit").intValue ?? 0
        // Which runs produced the predictions: recorded in rouge.json so a diff can name them.
        let lock = LockFile(url: run.config.lockURL).read()
        var producers: [String: String] = [:]
        for instance in PipelineStage.upstream(of: run.instance) {
            if let key = lock[instance]?["key"]?.stringValue { producers["\(instance).key"] = key }
        }
        run.addToKey("producers", .object(producers.mapValues { .string($0) }))
        let outputs = [StageOutput(RougeReport.metricsFileName, at: run.metricsPath(RougeReport.metricsFileName)),
                       StageOutput(RougeReport.perExampleFileName, at: run.metricsPath(RougeReport.perExampleFileName))]
        let result = try run.execute(outputs: outputs) { ws in
            let report = try RougeEvaluation.evaluate(
                systems: [SystemInput(name: "base", predictions: base), SystemInput(name: "lora", predictions: lora)],
                references: references, inputs: producers, bootstrap: try bootstrap.validated(),
                lsumSplit: lsumSplit, allowSubset: limit > 0)
            try report.write(to: ws.outputDirectory)
            var means: [String: JSONValue] = [:]
            for (system, summary) in report.metrics.systems {
                var f1: [String: JSONValue] = [:]
                for (type, t) in summary.rouge { f1["\(type)"] = .double(t.fmeasure.mean) }
                means[system] = .object(f1)
            }
            return ["f1": .object(means), "examples": .int(report.metrics.systems["base"]?.n ?? 0)]
        }
        let data = try Data(contentsOf: run.resolve(run.metricsPath(RougeReport.metricsFileName)))
        let metrics = try RougeReport.decodeMetrics(data, path: run.metricsPath(RougeReport.metricsFileName))
        return (result, ComparisonTable.render(metrics, format: format))
    }

    /// The bootstrap's settings from rouge.*: the stage and every standalone scoring verb read the same parameters,
    /// so the same predictions get the same intervals.
    public static func bootstrap(_ p: ParameterReader, config: String) throws(PipelineError) -> BootstrapConfiguration {
        let seed = p.int("rouge.seed")
        guard (0...Int(UInt32.max)).contains(seed) else {
            throw PipelineError.usage("rouge.seed must be in 0...\(UInt32.max)", path: config)
        }
        return BootstrapConfiguration(resamples: p.int("rouge.bootstrap_samples"),
                                      confidence: p.double("rouge.confidence"), seed: UInt32(seed))
    }

    /// The parameters `bootstrap` reads, for the settings line.
    public static let bootstrapKeys = ["rouge.bootstrap_samples", "rouge.confidence", "rouge.seed"]

    /// `rouge.lsum_split`, keyed only when it is `sentences`: every score made before the setting existed split at
    /// newlines.
    public static func lsumSplit(_ p: ParameterReader) -> LsumSplit {
        LsumSplit(rawValue: p.string("rouge.lsum_split", keyedUnless: LsumSplit.newline.rawValue))!
    }
}
