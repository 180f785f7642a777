import ArgumentParser
import Failures
import Foundation
import Pipeline
import Experiments
import Rouge
import Stages

extension OutputFormat: ExpressibleByArgument {}
extension RougeSweep.Format: ExpressibleByArgument {}
extension LsumSplit: ExpressibleByArgument {}

/// The bootstrap's settings on the command line: the pipeline's rouge.* parameters under their own names,
/// defaulting to the configuration's values (pipeline.yaml: 42 and 1000), as the stage reads them.
struct BootstrapOptions: ParsableArguments {
    @Option(help: "Seed of the bootstrap generator (rouge.seed; default: the configuration's).")
    var seed: Int?

    @Option(help: "Bootstrap resamples (rouge.bootstrap_samples; default: the configuration's).")
    var bootstrapSamples: Int?

    @Option(help: "ROUGE-Lsum's sentences: newline (rouge_score, the tutorial) or sentences (nltk's sent_tokenize first, as Hugging Face's run_summarization) (rouge.lsum_split; default: the configuration's).")
    var lsumSplit: LsumSplit?

    /// As `--set`s, checked against the schema like any parameter.
    var overrides: [String] {
        (seed.map { ["rouge.seed=\($0)"] } ?? []) + (bootstrapSamples.map { ["rouge.bootstrap_samples=\($0)"] } ?? [])
            + (lsumSplit.map { ["rouge.lsum_split=\($0.rawValue)"] } ?? [])
    }
}

/// Options shared by the scoring verbs: the configuration that gives the bootstrap's defaults, output format, subsets.
struct ScoringOptions: ParsableArguments {
    @Option(help: "Output: table, markdown or json.")
    var format: OutputFormat = .table

    @OptionGroup var bootstrapOptions: BootstrapOptions

    @Flag(help: "Score only the predicted ids when the predictions cover fewer than the references (else an error).")
    var allowSubset = false

    @OptionGroup var config: ConfigOptions

    @Flag(help: "No settings line on stderr.")
    var quiet = false

    /// rouge.* from the configuration with --seed, --bootstrap-samples and --lsum-split applied; says which on stderr.
    func scoring() throws -> (bootstrap: BootstrapConfiguration, lsumSplit: LsumSplit) {
        let c = try config.load(extra: bootstrapOptions.overrides)
        let p = ParameterReader(c)
        let settings = try ScoreRougeStage.bootstrap(p, config: config.name(of: c))
        if !quiet { printSettingsLine(config, c, keys: ScoreRougeStage.bootstrapKeys + ["rouge.lsum_split"]) }
        return (try settings.validated(), ScoreRougeStage.lsumSplit(p))
    }

    /// With --allow-subset, says on stderr how many of the references were scored.
    func noteSubset(_ report: RougeReport, references: URL) {
        guard allowSubset, let n = report.metrics.systems.values.first?.n,
              let total = try? ReferencesFile(url: references).order.count, n < total else { return }
        FileHandle.standardError.write(Data("score-rouge: --allow-subset: scored \(n) of \(total) references\n".utf8))
    }
}

@main
struct ScoreRouge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-rouge",
        abstract: "ROUGE-1/2/L/Lsum exactly as rouge_score 0.1.2 (use_stemmer=True), with bootstrap intervals.",
        discussion: """
            With no subcommand: the pipeline stage (run). Standalone: score-rouge score --predictions P.jsonl --references R.jsonl.
            Predictions are JSONL rows {"id", "prediction"}; references are rows {"id", "summary", ...}.
            Across git revisions: metrics diff, params diff, runs show.
            Exit codes: 64 usage, 65 bad input, 66 missing input file or revision without metrics, 74 I/O.
            """,
        subcommands: [Run.self, ScoreFile.self, Compare.self, Metrics.self, Params.self, Runs.self, SweepCommand.self, Diff.self],
        defaultSubcommand: Run.self)

    static func main() {
        mainReportingErrors(deprecated: [
            .implicitSubcommand("score", recognisedBy: ["--predictions"],
                                knownSubcommands: ["run", "score", "compare", "metrics", "params", "runs", "diff"]),
            .option("--resamples", renamedTo: "--bootstrap-samples"),
            .option("--out-dir", renamedTo: "--output", subcommand: "compare"),
            .option("--input", renamedTo: "--record", subcommand: "compare"),
        ])
    }
}

/// The pipeline stage: predictions/{base,lora}.jsonl + samsum/test.jsonl -> metrics/ (cached).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The pipeline stage: score base and LoRA predictions, write metrics/rouge.json, print the comparison.")

    @Option(help: "Output: table, markdown or json.")
    var format: OutputFormat = .table

    @OptionGroup var stage: StageOptions

    func run() throws {
        try runReportingErrors {
            let (_, table) = try ScoreRougeStage.run(stage, format: format)
            print(table, terminator: "")
        }
    }
}

/// One predictions file against references.
struct ScoreFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score one predictions file against references.")

    @Option(help: "Predictions JSONL ({\"id\", \"prediction\"}).")
    var predictions: String

    @Option(help: "References JSONL ({\"id\", \"summary\"}).")
    var references: String

    @OptionGroup var options: ScoringOptions

    func run() throws {
        try runReportingErrors {
            let (bootstrap, lsumSplit) = try options.scoring()
            let name = URL(fileURLWithPath: predictions).deletingPathExtension().lastPathComponent
            let report = try RougeEvaluation.evaluate(
                systems: [SystemInput(name: name, predictions: URL(fileURLWithPath: predictions))],
                references: URL(fileURLWithPath: references),
                inputs: ["predictions": predictions, "references": references],
                bootstrap: bootstrap, lsumSplit: lsumSplit, allowSubset: options.allowSubset)
            options.noteSubset(report, references: URL(fileURLWithPath: references))
            print(ComparisonTable.render(report.metrics, format: options.format), terminator: "")
        }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score base and LoRA predictions on the same examples, with a paired bootstrap of the difference.")

    @Option(help: "Base model predictions JSONL.")
    var base: String

    @Option(help: "LoRA model predictions JSONL.")
    var lora: String

    @Option(help: "References JSONL.")
    var references: String

    @Option(help: ArgumentHelp("Write rouge.json and rouge-per-example.jsonl into this folder (e.g. metrics).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("KEY=VALUE recorded in rouge.json \"inputs\" (repeatable).", valueName: "key=value"))
    var record: [String] = []

    @Flag(help: "Also print where lora wins and loses, example by example: the report's section (Markdown).")
    var perExample = false

    @OptionGroup var options: ScoringOptions

    func validate() throws {
        // two files go there; the table is on stdout anyway
        if output == "-" { throw ValidationError("--output of compare is a folder for rouge.json and rouge-per-example.jsonl, not -") }
    }

    func run() throws {
        var recorded = ["base": base, "lora": lora, "references": references]
        for pair in record {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--record expects KEY=VALUE, got \"\(pair)\"")
            }
            recorded[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        try runReportingErrors {
            let (bootstrap, lsumSplit) = try options.scoring()
            let report: RougeReport
            if let output {
                report = try RougeEvaluation.compareBaseAndLoRA(
                    base: URL(fileURLWithPath: base), lora: URL(fileURLWithPath: lora),
                    references: URL(fileURLWithPath: references), outputDirectory: URL(fileURLWithPath: output),
                    inputs: recorded, bootstrap: bootstrap, lsumSplit: lsumSplit, allowSubset: options.allowSubset)
            } else {
                report = try RougeEvaluation.evaluate(
                    systems: [SystemInput(name: "base", predictions: URL(fileURLWithPath: base)),
                              SystemInput(name: "lora", predictions: URL(fileURLWithPath: lora))],
                    references: URL(fileURLWithPath: references), inputs: recorded,
                    bootstrap: bootstrap, lsumSplit: lsumSplit, allowSubset: options.allowSubset)
            }
            options.noteSubset(report, references: URL(fileURLWithPath: references))
            print(ComparisonTable.render(report.metrics, format: options.format), terminator: "")
            if perExample { print("\n" + (try perExampleSection(report, bootstrap: bootstrap)), terminator: "") }
        }
    }

    /// The report's per-example section for these two files (rouge.randomization_trials, rouge.seed).
    func perExampleSection(_ report: RougeReport, bootstrap: BootstrapConfiguration) throws -> String {
        let refs = try ReferencesFile(url: URL(fileURLWithPath: references))
        func texts(_ path: String) throws -> [String: String] {
            Dictionary(try PredictionsFile(url: URL(fileURLWithPath: path)).rows.map { ($0.id, $0.prediction) }, uniquingKeysWith: { a, _ in a })
        }
        let c = try options.config.load(extra: [])
        let examples = PerExampleComparison.examples(baseline: report.examples["base"] ?? [], candidate: report.examples["lora"] ?? [],
                                                     summaries: refs.summaries, dialogues: refs.dialogues,
                                                     baselineTexts: try texts(base), candidateTexts: try texts(lora))
        return PerExampleComparison(examples, trials: c.value("rouge.randomization_trials").intValue ?? 10_000,
                                    seed: bootstrap.seed).markdown(baseline: "base", candidate: "lora")
    }
}

// MARK: - Across git revisions: metrics diff, params diff, runs show (as DVC's metrics diff, params diff, exp show)

/// Where the comparison verbs read: the repository, the configuration at each revision, its metrics folder.
struct RevisionFiles: ParsableArguments {
    @Option(help: "A folder inside the repository (default: the current folder).")
    var repository: String = "."

    @Option(help: "The pipeline config to compare, relative to the repository root; its lock is <name>.lock.")
    var config: String = BuiltInConfiguration.fileName

    @Option(help: "That config's metrics folder, relative to the repository root (default: the config's paths.metrics in the working tree, else metrics).")
    var metrics: String?

    @Option(help: "Output: table, markdown, csv or json.")
    var format: RougeSweep.Format = .table

    var directory: URL { URL(fileURLWithPath: repository) }

    func files() throws(PipelineError) -> DiffFiles {
        var metricsDirectory = metrics ?? ""
        if metrics == nil { metricsDirectory = try DiffFiles.configuredMetrics(config: config, in: try GitRepository(containing: directory)) }
        return DiffFiles(config: config, metricsDirectory: metricsDirectory)
    }

    /// Runs `body`; a revision without metrics is named with the configs that do have a run (only the demo was run).
    func reporting(_ body: () throws -> Void) throws {
        try runReportingErrors {
            do { try body() } catch let error as PipelineError where error.status == .missingInput {
                let root = try GitRepository(containing: directory).root
                var e = error
                e.message += LockFile.hintAtOtherRuns(in: root, except: root.appendingPathComponent(LockFile.path(forConfig: config)))
                throw e
            }
        }
    }

    /// The bootstrap of a diff's paired intervals: rouge.* as the compared config sets them in the working tree
    /// (else the built-in defaults), then --seed and --bootstrap-samples; one settings line on stderr.
    func bootstrap(_ options: BootstrapOptions, quiet: Bool) throws -> BootstrapConfiguration {
        let repository = try GitRepository(containing: directory)
        let set = try DiffFiles.configuredValues(config: config, in: repository)
        let fromFile = ScoreRougeStage.bootstrapKeys.compactMap { key in set[key].map { "\(key)=\($0)" } }
        let c = try PipelineConfig.builtIn(overrides: fromFile + options.overrides, folder: repository.root)
        let settings = try ScoreRougeStage.bootstrap(ParameterReader(c), config: config)
        if !quiet {
            printSettingsLine(configuration: set.isEmpty ? "the built-in defaults" : config, c, keys: ScoreRougeStage.bootstrapKeys)
        }
        return try settings.validated()
    }
}

/// The revisions of a two-revision comparison.
/// `--keys`, for the verbs that list parameters.
struct KeysOption: ParsableArguments {
    @Flag(help: "Also list the stage keys and output hashes that differ (they change with every setting).")
    var keys = false
}

struct RevisionPair: ParsableArguments {
    @Argument(help: ArgumentHelp("A and B: none (HEAD against the working tree), one (it against the working tree) or two.",
                                 valueName: "revision"))
    var revisions: [String] = []

    func validate() throws {
        if revisions.count > 2 { throw ValidationError("at most two revisions (score-rouge runs show compares more)") }
    }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "ROUGE across git revisions.", subcommands: [Diff.self])

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each system's ROUGE F1 at two revisions (default HEAD against the working tree), B - A and its paired bootstrap interval.")

        @OptionGroup var pair: RevisionPair
        @OptionGroup var files: RevisionFiles
        @OptionGroup var bootstrapOptions: BootstrapOptions

        @Flag(help: "No settings line on stderr.")
        var quiet = false

        func run() throws {
            try files.reporting {
                let bootstrap = try files.bootstrap(bootstrapOptions, quiet: quiet)
                let diff = try RougeDiff.between(pair.revisions.first, pair.revisions.dropFirst().first, in: files.directory,
                                                 files: try files.files(), bootstrap: bootstrap)
                print(diff.renderMetrics(format: files.format), terminator: "")
            }
        }
    }
}

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parameters across git revisions.", subcommands: [Diff.self])

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The parameters whose values differ between the runs of two revisions (default HEAD against the working tree).",
            discussion: "A value is what the run used (the lock's record), with the config's value beside it where that differs.")

        @OptionGroup var pair: RevisionPair
        @OptionGroup var files: RevisionFiles
        @OptionGroup var keys: KeysOption

        func run() throws {
            try files.reporting {
                var diff = try RougeDiff.between(pair.revisions.first, pair.revisions.dropFirst().first, in: files.directory,
                                                 files: try files.files(), bootstrap: nil)
                diff.showsRunIdentities = keys.keys
                print(diff.renderParameters(format: files.format), terminator: "")
            }
        }
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs across git revisions.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per revision: its subject, each system's mean ROUGE F1, and each parameter that differs between any of them.")

        @Argument(help: ArgumentHelp("The revisions, one row each (none: HEAD).", valueName: "revision"))
        var revisions: [String] = []

        @Option(help: ArgumentHelp("A sweep file: one row per run from its records (make sweep), not per revision.", valueName: "file"))
        var sweep: String?

        @Option(help: ArgumentHelp("With --sweep: the run the paired column compares against (default: the file's baseline).", valueName: "run"))
        var baseline: String?

        @Option(help: ArgumentHelp("Sort by this column (ROUGE columns highest first, the others ascending; numbers as numbers).",
                                   valueName: "column"))
        var sortBy: String?

        @Flag(help: "Add the working tree as the last row.")
        var workingTree = false

        @OptionGroup var files: RevisionFiles
        @OptionGroup var keys: KeysOption

        func run() throws {
            if let sweep {
                return try runReportingErrors {
                    let loaded = try Sweep.load(path: sweep)
                    var table = try SweepTable(sweep: loaded, records: try SweepRecord.read(loaded), baseline: baseline)
                    if let sortBy { try table.sort(by: sortBy) }
                    print(table.render(format: files.format), terminator: "")
                }
            }
            try files.reporting {
                var table = try RougeSweep.across(RougeSweep.revisions(revisions, workingTree: workingTree), in: files.directory,
                                                  files: try files.files(), includeRunIdentities: keys.keys)
                if let sortBy { table = try table.sorted(by: sortBy) }
                print(table.render(format: files.format), terminator: "")
            }
        }
    }
}

/// `make sweep`'s two steps: the runs to make (`plan`) and, after each, its record (`record`); `runs show --sweep` is the table.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep", abstract: "The runs of a sweep file and their records (make sweep SWEEP=FILE runs them).",
        subcommands: [Plan.self, Record.self])

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checks a sweep file and prints one line per run: name, config and SET string, tab-separated.")

        @Option(help: ArgumentHelp("The sweep file.", valueName: "file"))
        var sweep: String

        func run() throws {
            try runReportingErrors {
                let loaded = try Sweep.load(path: sweep)
                let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path + "/"
                let config = loaded.config.path.hasPrefix(cwd) ? String(loaded.config.path.dropFirst(cwd.count)) : loaded.config.path
                for run in loaded.runs { print("\(run.name)\t\(config)\t\(run.setString)") }
            }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes a run's record from what the pipeline left (run it first), and redraws the sweep's chart.")

        @Option(help: ArgumentHelp("The sweep file.", valueName: "file"))
        var sweep: String

        @Option(name: .customLong("run"), help: ArgumentHelp("The run's name.", valueName: "name"))
        var runName: String

        func run() throws {
            try runReportingErrors {
                let loaded = try Sweep.load(path: sweep)
                let chosen = try loaded.run(named: runName)
                let record = try SweepRecord.make(sweep: loaded, run: chosen, config: try loaded.configuration(of: chosen))
                let folder = try loaded.recordsFolder()
                try record.write(in: folder)
                let table = try SweepTable(sweep: loaded, records: try SweepRecord.read(loaded))
                try AtomicFile.write(table.chart(), to: folder.appendingPathComponent("rouge1-vs-time.svg"))
                FileHandle.standardError.write(Data("sweep \(loaded.name): recorded \(runName) in \(folder.appendingPathComponent("\(runName).json").path)\n".utf8))
            }
        }
    }
}

/// The old `diff`, three commands in one: kept for one release; `metrics diff`, `params diff` and `runs show` replace it.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deprecated: use metrics diff, params diff or runs show.",
        shouldDisplay: false)

    @Argument(help: ArgumentHelp("Revisions: none to two (a diff), or more (the sweep table).", valueName: "revision"))
    var revisions: [String] = []

    @Flag(help: "The sweep table, one row per revision, also for one or two revisions.")
    var sweep = false

    @Option(help: ArgumentHelp("Sort the sweep table by this column.", valueName: "column"))
    var sortBy: String?

    @Flag(help: "Add the working tree as the sweep table's last row.")
    var workingTree = false

    @OptionGroup var files: RevisionFiles
    @OptionGroup var keys: KeysOption
    @OptionGroup var bootstrapOptions: BootstrapOptions

    /// The sweep table when asked for, or when the two-revision layout cannot show what was asked.
    var isSweep: Bool { sweep || revisions.count > 2 || sortBy != nil || workingTree || files.format == .csv }

    func run() throws {
        printWarning("score-rouge diff is deprecated; use score-rouge " + (isSweep ? "runs show" : "metrics diff and score-rouge params diff"))
        try files.reporting {
            if isSweep {
                var table = try RougeSweep.across(RougeSweep.revisions(revisions, workingTree: workingTree), in: files.directory,
                                                  files: try files.files(), includeRunIdentities: keys.keys)
                if let sortBy { table = try table.sorted(by: sortBy) }
                print(table.render(format: files.format), terminator: "")
            } else {
                let bootstrap = try files.bootstrap(bootstrapOptions, quiet: true)
                var diff = try RougeDiff.between(revisions.first, revisions.count > 1 ? revisions[1] : nil, in: files.directory,
                                                 files: try files.files(), bootstrap: bootstrap)
                diff.showsRunIdentities = keys.keys
                print(diff.render(format: OutputFormat(rawValue: files.format.rawValue)!), terminator: "")
            }
        }
    }
}
