import Dataset
import Experiments
import Failures
import Foundation
import JSON
import Pipeline
import Rouge

/// `reports/<run>/report.md`: what a run of the pipeline did and what it measured —
/// parameters, each stage's key, time and cache status, the training curves as SVG (with those
/// of other revisions' runs overlaid, `--compare`), the ROUGE comparison with confidence
/// intervals, and test dialogues side by side.
public enum RunReport {
    /// Writes the report and returns its path.
    @discardableResult
    public static func write(configFile: String?, overrides: [String] = [], directory: URL, examples: Int = 5,
                             compare: [String] = [], logarithmicLoss: Bool = false) throws -> URL {
        let report = try render(configFile: configFile, overrides: overrides, directory: directory, examples: examples,
                                compare: compare, logarithmicLoss: logarithmicLoss)
        try report.write()
        return report.url
    }

    /// The report's files, not yet written.
    /// `configFile` as `--config` gives it, relative to `directory` (nil: PipelineConfig's default); the
    /// run's files are then relative to the configuration's folder. `compare`: git revisions whose
    /// train-lora loss curves the chart overlays (`ComparedRun`).
    public static func render(configFile: String?, overrides: [String] = [], directory: URL, examples: Int = 5,
                              compare: [String] = [], logarithmicLoss: Bool = false) throws -> Rendered {
        let config = try PipelineConfig.load(file: configFile, overrides: overrides, in: directory)
        let file = try PipelineConfig.load(file: configFile, in: directory)
        let root = config.folder
        let data = config.value("paths.data").stringValue!, metrics = config.value("paths.metrics").stringValue!
        let lock = LockFile(url: config.lockURL).read()
        guard let scoreKey = lock["score-rouge"]?["key"]?.stringValue else {
            throw PipelineError.missingInput("no score-rouge run recorded for \(config.name); run the pipeline first"
                                             + LockFile.hintAtOtherRuns(in: config.folder, except: config.lockURL),
                                             path: config.lockURL.path)
        }
        // Every compared run is found before anything is written: one that cannot be leaves no report.
        let compared = try compare.map { try ComparedRun.load($0, config: config) }
        let runName = String(scoreKey.prefix(12))
        let dir = StageRun.resolve(config.value("paths.reports").stringValue! + "/" + runName, in: root)
        var files: [(name: String, text: String)] = []

        var md = "# Run report \(runName)\n\n"
        md += "Configuration `\(configFile ?? config.name)`; written \(Provenance.timestamp(Date())) by flan-lora \(Provenance.toolVersion)"
        md += Provenance.gitCommit(root: root).map { " at commit `\($0)`" } ?? ""
        md += ".\n\n"
        if !compared.isEmpty {
            md += "Compared with " + compared.map { "`\($0.revision)` (commit `\($0.commit.prefix(12))`, train-lora `\($0.key.prefix(12))`)" }
                .joined(separator: ", ") + ": their loss curves are overlaid in the loss chart, one colour per run.\n\n"
        }
        md += "## Stages\n\n| stage | key | time (s) | cache | computed in (s) |\n| --- | --- | ---: | --- | ---: |\n"
        for instance in PipelineStage.instances {
            guard let record = lock[instance], let key = record["key"]?.stringValue else { continue }
            let firstOutput = record["outputs"]?.objectValue?.keys.sorted().first ?? ""
            let manifestURL = StageRun.resolve(firstOutput, in: root).deletingLastPathComponent()
                .appendingPathComponent("\(instance).manifest.json")
            let m = (try? Data(contentsOf: manifestURL)).flatMap { try? JSONValue.parse($0) }
            let seconds = m?["seconds"]?.doubleValue.map { String(format: "%.2f", $0) } ?? "?"
            let hit = m?["cache_hit"]?.boolValue.map { $0 ? "hit" : "computed" } ?? "?"
            let computed = m?["computed"]?["seconds"]?.doubleValue.map { String(format: "%.2f", $0) } ?? ""
            md += "| \(instance) | `\(key.prefix(12))` | \(seconds) | \(hit) | \(computed) |\n"
        }

        md += "\n## ROUGE (test split)\n\n"
        let metricsURL = StageRun.resolve(metrics + "/" + RougeReport.metricsFileName, in: root)
        let rouge = try RougeReport.decodeMetrics(try Data(contentsOf: metricsURL), path: metricsURL.path)
        md += ComparisonTable.render(rouge, format: .markdown) + "\n"
        md += methodNote(lock["train-lora"]?["params"]?["train.mode"]?.stringValue)
        md += staleness(metrics: rouge.inputs, lock: lock)

        // The run's files as this configuration's lock records them (LockedInputs): another configuration sharing
        // paths.data, or a hand-edited stable file, must not end up in this run's report.
        let store = Store(root: StageRun.resolve(data + "/store", in: root))
        let locked = LockedInputs(config: config, store: store)
        var log = StageRun.resolve(data + "/adapter/log.jsonl", in: root)
        if let key = lock["train-lora"]?["key"]?.stringValue, LockedInputs.isKey(key),
           FileManager.default.fileExists(atPath: store.outputs(key).appendingPathComponent("log.jsonl").path) {
            log = store.outputs(key).appendingPathComponent("log.jsonl")  // the log is not in the lock (wall-clock times)
        }
        let ownLog = try? String(contentsOf: log, encoding: .utf8)
        if ownLog != nil || !compared.isEmpty {
            let ownParams = lock["train-lora"]?["params"]?.objectValue ?? [:]
            var runs = ownLog.map { [LossCurves.Run(name: compared.isEmpty ? nil : "this run", curves: LossCurves(log: $0))] } ?? []
            // a compared run is named by what it set otherwise, not by its commit alone
            let ownKey = lock["train-lora"]?["key"]?.stringValue
            runs += compared.map {
                LossCurves.Run(name: "\($0.revision): \($0.settingsDiffering(from: ownParams, ownKey: ownKey))", curves: LossCurves(log: $0.log))
            }
            let kept = ownLog == nil ? nil : lock["train-lora"]?["summary"]?["kept"]?["step"]?.intValue
            files.append(("loss.svg", LossCurves.chart(runs, keptStep: kept, logarithmic: logarithmicLoss).render()))
            md += "## Training\n\n![training and validation loss](loss.svg)\n\n"
            if let kept = lock["train-lora"]?["summary"]?["kept"], let step = kept["step"]?.intValue {
                // train.keep: which step's state the adapter is (the lock records it).
                let loss = kept["validation_loss"]?.doubleValue.map { String(format: ", validation loss %.4f", $0) } ?? ""
                let stop = kept["stopped_early_at_step"]?.intValue.map { "; early stopping ended training after step \($0)" } ?? ""
                // train.metric_for_best_model other than the loss: the generated ROUGE that chose it.
                let metric = kept["metric"]?.stringValue
                let metricText = metric.flatMap { m in
                    kept["validation_\(m)"]?.doubleValue.map { String(format: ", validation %@ %.4f (generated)", m, $0) } } ?? ""
                let rule = "`train.keep: \(kept["rule"]?.stringValue ?? "last")`" + (metric.map { ", `train.metric_for_best_model: \($0)`" } ?? "")
                md += "Published adapter: step \(step)\(loss)\(metricText) (\(rule))\(stop).\n\n"
            }
            if !compared.isEmpty {
                let key = lock["train-lora"]?["key"]?.stringValue.map { " (train-lora `\($0.prefix(12))`)" } ?? ""
                md += "One colour per run, training solid, validation dashed. "
                md += ownLog == nil ? "This run has no training log (`\(data)/adapter/log.jsonl`). " : "This run\(key) first; then "
                md += compared.map { "`\($0.label)`" }.joined(separator: ", ") + ".\n\n"
                md += labelSmoothingNote(own: ownParams, compared: compared)
            }
        }

        let refs = try SummarizationExample.readJSONL(path: try locked.source(of: StageRun.resolve(data + "/samsum/test.jsonl", in: root)).path)
        let base = try predictions(try locked.source(of: StageRun.resolve(data + "/predictions/base.jsonl", in: root)))
        let lora = try predictions(try locked.source(of: StageRun.resolve(data + "/predictions/lora.jsonl", in: root)))
        md += try perExample(metrics: StageRun.resolve(metrics + "/" + RougeReport.perExampleFileName, in: root), rouge: rouge,
                             references: refs, base: base, lora: lora, config: config)

        md += "## Examples\n\n"
        for r in refs.filter({ base[$0.id] != nil }).prefix(examples) {
            md += "### \(r.id)\n\n```\n\(r.dialogue.replacingOccurrences(of: "\r\n", with: "\n"))\n```\n\n"
            md += "| | summary |\n| --- | --- |\n| human | \(cell(r.summary)) |\n| base | \(cell(base[r.id] ?? "")) |\n"
            md += "| LoRA | \(cell(lora[r.id] ?? "")) |\n\n"
        }

        md += parameters(lock: lock, config: config, file: file, fileName: configFile ?? config.name, overrides: overrides)
        files.append((Rendered.reportName, md))
        return Rendered(directory: dir, files: files)
    }

    /// A report's files and the folder they go to.
    public struct Rendered {
        public static let reportName = "report.md"
        public let directory: URL
        public let files: [(name: String, text: String)]

        public var url: URL { directory.appendingPathComponent(Self.reportName) }

        public func write() throws {
            try AtomicFile.createDirectory(directory)
            for file in files { try AtomicFile.write(file.text, to: directory.appendingPathComponent(file.name)) }
        }

        /// The files whose bytes on disk differ from these (missing ones included), report.md compared without its
        /// provenance line (when it was written, by which version, at which commit), which changes with every run.
        public func filesDifferingOnDisk() -> [String] {
            files.filter { file in
                guard let disk = try? String(contentsOf: directory.appendingPathComponent(file.name), encoding: .utf8) else { return true }
                return file.name == Self.reportName ? Self.content(disk) != Self.content(file.text) : disk != file.text
            }.map(\.name)
        }

        /// `--verify`: one line per file, identical or DIFFERENT; an error when one differs (exit 1) or there is no
        /// report (66). Writes nothing.
        public func verify() throws {
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw PipelineError.missingInput("no report to verify; run pipeline-report first", path: url.path)
            }
            let differing = filesDifferingOnDisk()
            for file in files { print("\(file.name): \(differing.contains(file.name) ? "DIFFERENT" : "identical")") }
            guard differing.isEmpty else {
                throw PipelineError(.verifyMismatch, "the report on disk is not what the run's files give now: "
                                    + differing.joined(separator: ", ") + " (pipeline-report rewrites it)", path: url.path)
            }
        }

        /// report.md without its third line, the provenance one.
        static func content(_ report: String) -> [Substring] {
            var lines = report.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 2, lines[2].hasPrefix("Configuration ") { lines.remove(at: 2) }
            return lines
        }
    }

    /// The parameters each stage of this run read, as the lock recorded them (not the configuration file's values,
    /// which a `--set` or a later edit can have changed), with the stages that read each, the file's value where
    /// it differs, and the parameters no stage read.
    static func parameters(lock: [String: JSONValue], config: PipelineConfig, file: PipelineConfig, fileName: String,
                           overrides: [String]) -> String {
        var ran: [String: [(stage: String, value: JSONValue)]] = [:]
        for instance in PipelineStage.instances {
            for (key, value) in lock[instance]?["params"]?.objectValue ?? [:] { ran[key, default: []].append((instance, value)) }
        }
        var md = "## Parameters\n\nThe values each stage ran with, as `\(config.lockURL.lastPathComponent)` records them. "
        md += "A value that differs from `\(fileName)` is marked ≠ and the file's value given"
        md += overrides.isEmpty ? ".\n\n" : " (this report was made with " + overrides.map { "`--set \($0)`" }.joined(separator: " ") + ").\n\n"
        md += "| parameter | value | stages | in \(fileName) |\n| --- | --- | --- | --- |\n"
        var mixed: [String] = []
        for key in ran.keys.sorted() {
            // one row per distinct value: stages recorded at different times can disagree (one stage rerun with --set)
            var byValue: [(value: JSONValue, stages: [String])] = []
            for (stage, value) in ran[key]! {
                if let i = byValue.firstIndex(where: { $0.value == value }) { byValue[i].stages.append(stage) } else { byValue.append((value, [stage])) }
            }
            if byValue.count > 1 { mixed.append(key) }
            let inFile = file.values[key]
            for (value, stages) in byValue {
                let differs = inFile.map { $0 != value } ?? false
                md += "| `\(key)` | `\(value.canonical)`\(differs ? " ≠" : "") | \(stages.joined(separator: ", ")) | "
                md += differs ? "`\(inFile!.canonical)` |\n" : "same |\n"
            }
        }
        if !mixed.isEmpty {
            md += "\n**Mixed run:** the stages recorded different values of " + mixed.map { "`\($0)`" }.joined(separator: ", ")
            md += ": some stages were rerun with other settings since the others ran; rerun the pipeline with one setting.\n"
        }
        let unread = config.values.keys.filter { ran[$0] == nil }.sorted()
        if !unread.isEmpty {
            md += "\nRead by no stage of this run (paths and settings of other modes): "
            md += unread.map { "`\($0)` = `\(config.values[$0]!.canonical)`" }.joined(separator: ", ") + ".\n"
        }
        return md
    }

    /// Label smoothing raises a loss by construction: curves of runs with different `train.label_smoothing` are not
    /// comparable in height (each run's training and validation losses are computed with its own).
    static func labelSmoothingNote(own: [String: JSONValue], compared: [ComparedRun]) -> String {
        let key = "train.label_smoothing"
        let values = [("this run", own[key])] + compared.map { ($0.revision, $0.params[key]) }
        func smoothing(_ v: JSONValue?) -> Double { v?.doubleValue ?? 0 }
        guard Set(values.map { smoothing($0.1) }).count > 1 else { return "" }
        return "**Not comparable in height:** the runs use different label smoothing ("
            + values.map { "\($0.0) \(Figures.value(smoothing($0.1)))" }.joined(separator: ", ")
            + "); a smoothed loss is higher by construction, in training and validation alike. Compare ROUGE instead.\n\n"
    }

    /// The stages, files and columns keep LoRA's name (`train-lora`, `predictions/lora.jsonl`, "lora") whatever
    /// `train.mode` trains: under the table, which method the "lora" system is when it is not LoRA.
    static func methodNote(_ mode: String?) -> String {
        let names = ["ia3": "IA3 adapter", "loha": "LoHa adapter", "lokr": "LoKr adapter", "prompt_tuning": "prompt-tuning adapter",
                     "p_tuning": "P-tuning adapter", "prefix_tuning": "prefix-tuning adapter", "full": "fully fine-tuned model"]
        guard let mode, let name = names[mode] else { return "" }
        return "The `lora` system is the \(name) (`train.mode: \(mode)`): stages, files and columns keep LoRA's name "
            + "whatever the method.\n\n"
    }

    /// A warning when the scores were computed from other stage results than the lock now records (a stage
    /// rerun alone since, e.g. with `--set`): the ROUGE above does not belong to the parameters below.
    static func staleness(metrics inputs: [String: String], lock: [String: JSONValue]) -> String {
        var stale: [String] = []
        for (name, key) in inputs.sorted(by: { $0.key < $1.key }) where name.hasSuffix(".key") {
            let stage = String(name.dropLast(4))
            guard let now = lock[stage]?["key"]?.stringValue, now != key else { continue }
            stale.append("\(stage) `\(key.prefix(12))`, the lock now records `\(now.prefix(12))`")
        }
        guard !stale.isEmpty else { return "" }
        return "**Stale scores:** these metrics were computed from " + stale.joined(separator: "; ")
            + ". Rerun score-rouge (and the stages between) to score this configuration: `make score-rouge`.\n\n"
    }

    static func predictions(_ url: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try JSONLines.readStringFields(contentsOf: url, required: ["id", "prediction"]) { out[row["id"]!] = row["prediction"]! }
        return out
    }

    /// The per-example comparison and the tutorial's protocol, from the scores beside rouge.json.
    static func perExample(metrics url: URL, rouge: RougeMetrics, references: [SummarizationExample], base: [String: String],
                           lora: [String: String], config: PipelineConfig) throws -> String {
        let scored = try RougeReport.decodePerExample(try Data(contentsOf: url), path: url.path)
        guard let a = scored["base"], let b = scored["lora"], a.map(\.id) == b.map(\.id), !a.isEmpty else { return "" }
        let examples = PerExampleComparison.examples(
            baseline: a, candidate: b, summaries: Dictionary(references.map { ($0.id, $0.summary) }, uniquingKeysWith: { x, _ in x }),
            dialogues: Dictionary(references.map { ($0.id, $0.dialogue) }, uniquingKeysWith: { x, _ in x }),
            baselineTexts: base, candidateTexts: lora)
        let types: [RougeType] = [.rouge1, .rouge2, .rougeL]
        let bootstrap = rouge.scorer.bootstrap
        let seed = UInt32(truncatingIfNeeded: config.value("rouge.seed").intValue ?? 42)
        let trials = config.value("rouge.randomization_trials").intValue ?? 10_000
        let tutorial = config.value("rouge.tutorial_examples").intValue ?? 10
        var md = "## Where the fine-tuned model wins and loses\n\n"
        md += PerExampleComparison(examples, trials: trials, seed: seed).markdown(baseline: "base", candidate: "LoRA") + "\n"
        md += "## The tutorial's protocol beside the whole split\n\n"
        md += "The tutorial averages ROUGE over \(tutorial) test dialogues (`rouge.tutorial_examples`: the first \(tutorial) of the "
            + "scored split, in its order). A bootstrap with the ROUGE table's resamples, seed and confidence, drawn afresh for "
            + "each row (so the whole split's intervals differ from the table's in the last digits), shows how much less such a "
            + "mean says.\n\n"
        md += SubsetScores.markdown(baseline: Dictionary(uniqueKeysWithValues: types.map { t in (t, examples.map { $0.baselineScores[t]! }) }),
                                    candidate: Dictionary(uniqueKeysWithValues: types.map { t in (t, examples.map { $0.candidateScores[t]! }) }),
                                    count: tutorial, bootstrap: bootstrap, names: ("base", "LoRA")) + "\n"
        return md
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
