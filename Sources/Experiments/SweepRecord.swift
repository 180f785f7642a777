import Failures
import Foundation
import JSON
import Pipeline
import Rouge
import SafeTensors

/// One sweep run's result, one schema (`<paths.metrics>/sweeps/<sweep>/<run>.json`), written right after the run from
/// what the run left: the lock (parameters each stage read, keys, input hashes), train-lora's manifest (trainable
/// parameters, steps, its computing time and peak memory, versions), the adapter's size, the base model's parameter
/// count, and score-rouge's metrics and per-example F1. The sweep's table is made from these records alone.
public struct SweepRecord: Sendable, Equatable {
    public static let format = "flanlora-sweep-run/1"
    public let json: JSONValue

    public init(json: JSONValue) { self.json = json }

    /// The record of `run` as the pipeline left it under `config` (the run's configuration).
    public static func make(sweep: Sweep, run: Sweep.Run, config: PipelineConfig) throws -> SweepRecord {
        let lock = LockFile(url: config.lockURL).read()
        func stable(_ path: String) -> URL { config.resolve(path) }
        func bad(_ m: String) -> PipelineError { .missingInput("sweep \(sweep.name), run \(run.name): \(m)", path: config.lockURL.path) }
        guard let train = lock["train-lora"], lock["score-rouge"] != nil else {
            throw bad("the lock has no train-lora or score-rouge record: run the pipeline first (make sweep does)")
        }
        let manifestURL = stable(train["outputs"]?.objectValue?.keys.sorted().first ?? "").deletingLastPathComponent()
            .appendingPathComponent("train-lora.manifest.json")
        let manifest = try JSONValue.parse(try Data(contentsOf: manifestURL))
        guard manifest["key"] == train["key"] else { throw bad("\(manifestURL.path) is not the lock's train-lora run") }

        let data = config.value("paths.data").stringValue!, metrics = config.value("paths.metrics").stringValue!
        let adapter = stable(data + "/adapter/adapter_model.safetensors")
        let adapterBytes = (try? FileManager.default.attributesOfItem(atPath: adapter.path)[.size] as? Int) ?? nil
        let model = try SafeTensorsFile(path: stable(data + "/model/model.safetensors").path)
        let total = model.tensors.values.reduce(0) { $0 + $1.shape.reduce(1, *) }

        let rougeURL = stable(metrics + "/" + RougeReport.metricsFileName)
        let rouge = try RougeReport.decodeMetrics(try Data(contentsOf: rougeURL), path: rougeURL.path)
        // every stage the metrics were computed from must be the lock's (no record mixes two runs)
        for (input, key) in rouge.inputs.sorted(by: { $0.key < $1.key }) where input.hasSuffix(".key") {
            let stage = String(input.dropLast(".key".count))
            guard lock[stage]?["key"]?.stringValue == key else {
                throw bad("\(rougeURL.path) was computed from another \(stage) run than the lock records")
            }
        }
        let perExampleURL = stable(metrics + "/" + RougeReport.perExampleFileName)
        let scored = try RougeReport.decodePerExample(try Data(contentsOf: perExampleURL), path: perExampleURL.path)
        let lora = scored["lora"] ?? []

        let types: [RougeType] = [.rouge1, .rouge2, .rougeL, .rougeLsum]
        var scores: [String: JSONValue] = [:]
        for type in types {
            guard let base = rouge.systems["base"]?.rouge[type]?.fmeasure, let tuned = rouge.systems["lora"]?.rouge[type]?.fmeasure,
                  let delta = rouge.comparison(baseline: "base", candidate: "lora")?.rouge[type] else { continue }
            scores[type.rawValue] = [
                "base": ["mean": .double(base.mean), "low": .double(base.low), "high": .double(base.high)],
                "lora": ["mean": .double(tuned.mean), "low": .double(tuned.low), "high": .double(tuned.high)],
                "lora_minus_base": ["delta": .double(delta.delta), "low": .double(delta.low), "high": .double(delta.high)],
            ]
        }
        var perExample: [String: JSONValue] = ["ids": .array(lora.map { .string($0.id) })]
        for type in types { perExample[type.rawValue] = .array(lora.map { .double($0.scores[type][.fmeasure]) }) }

        let summary = manifest["summary"] ?? .null, computed = manifest["computed"] ?? .null
        let seconds = computed["seconds"]?.doubleValue, steps = summary["steps"]?.intValue
        var stages: [String: JSONValue] = [:]
        for (stage, record) in lock.sorted(by: { $0.key < $1.key }) {
            stages[stage] = ["key": record["key"] ?? .null, "params": record["params"] ?? .object([:]), "inputs": record["inputs"] ?? .object([:])]
        }
        let record: JSONValue = [
            "format": .string(format), "sweep": .string(sweep.name), "run": .string(run.name),
            "overrides": .array(run.overrides.map { .string($0) }),
            "config": .string(sweep.config.lastPathComponent),
            "method": config.value("train.mode"),
            "per_stage": .object(stages),
            "cost": [
                "trainable_parameters": summary["trainable_parameters"] ?? .null, "total_parameters": .int(total),
                "adapter_bytes": adapterBytes.map { .int($0) } ?? .null, "train_steps": steps.map { .int($0) } ?? .null,
            ],
            // measurements of the run that computed train-lora (a cache hit keeps the first run's)
            "measured": [
                "train_seconds": seconds.map { .double($0) } ?? .null,
                "steps_per_second": (seconds.flatMap { s in steps.map { Double($0) / s } }).map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
                "peak_rss_bytes": computed["peak_rss_bytes"] ?? .null, "computed_at": computed["at"] ?? .null,
                "host": manifest["host"] ?? .null, "threads": manifest["params"]?["runtime.threads"] ?? .null,
            ],
            "rouge": .object(scores),
            "per_example_f1": .object(perExample),
            "bootstrap": [
                "resamples": .int(rouge.scorer.bootstrap.resamples), "confidence": .double(rouge.scorer.bootstrap.confidence),
                "seed": .int(Int(rouge.scorer.bootstrap.seed)),
            ],
            "versions": ["tool_version": manifest["tool_version"] ?? .null, "git_commit": manifest["computed"]?["git_commit"] ?? .null],
        ]
        return SweepRecord(json: record)
    }

    public var run: String { json["run"]?.stringValue ?? "" }

    /// Writes the record atomically as `<folder>/<run>.json`.
    public func write(in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.write(json.pretty, to: folder.appendingPathComponent("\(run).json"))
    }

    /// The records of `sweep` that exist, in the sweep's run order.
    public static func read(_ sweep: Sweep) throws -> [SweepRecord] {
        let folder = try sweep.recordsFolder()
        return try sweep.runs.compactMap { run in
            let url = folder.appendingPathComponent("\(run.name).json")
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            let json = try JSONValue.parse(try Data(contentsOf: url))
            guard json["format"]?.stringValue == format else {
                throw PipelineError.badInput("not a \(format) record", path: url.path)
            }
            return SweepRecord(json: json)
        }
    }
}
