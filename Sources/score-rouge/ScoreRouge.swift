import ArgumentParser
import Failures
import Foundation
import Pipeline
import Experiments
import Rouge
import Stages

extension OutputFormat: ExpressibleByArgument {}
extension RougeSweep.Format: ExpressibleByArgument {}

/// The bootstrap's settings, for every form that computes intervals.
struct BootstrapOptions: ParsableArguments {
    @Option(help: "Seed of the bootstrap generator (NumPy-compatible MT19937).")
    var seed: UInt32 = 0

    @Option(help: "Bootstrap resamples.")
    var resamples: Int = 1000

    var bootstrap: BootstrapConfiguration { BootstrapConfiguration(resamples: resamples, seed: seed) }
}

/// Options shared by the scoring forms: output format, bootstrap settings, subsets.
struct ReportOptions: ParsableArguments {
    @Option(help: "Output: table, markdown or json.")
    var format: OutputFormat = .table

    @OptionGroup var bootstrapOptions: BootstrapOptions

    @Flag(help: "Score only the predicted ids when the predictions cover fewer than the references (else an error).")
    var allowSubset = false

    var bootstrap: BootstrapConfiguration { bootstrapOptions.bootstrap }

    /// With --allow-subset, says on stderr how many of the references were scored.
    func noteSubset(_ report: RougeReport, references: URL) {
        guard allowSubset, let n = report.metrics.systems.values.first?.n,
              let total = try? ReferencesFile(url: references).order.count, n < total else { return }
        FileHandle.standardError.write(Data("score-rouge: --allow-subset: scored \(n) of \(total) references\n".utf8))
    }
}

/// Runs `body`, turning a library error into its one-line message on stderr and exit code.
func reportingErrors(_ body: () throws(PipelineError) -> Void) throws {
    do { try body() } catch {
        printError(error.description)
        throw ExitCode(error.status.rawValue)
    }
}

@main
struct ScoreRouge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-rouge",
        abstract: "ROUGE-1/2/L/Lsum exactly as rouge_score 0.1.2 (use_stemmer=True), with bootstrap intervals.",
        discussion: """
            Standalone: score-rouge --predictions P.jsonl --references R.jsonl [--format table|markdown|json]
            Predictions are JSONL rows {"id", "prediction"}; references are rows {"id", "summary", ...}.
            Exit codes: 64 usage, 65 bad input, 66 missing input file or revision without metrics, 74 I/O.
            """,
        subcommands: [ScoreFile.self, Run.self, Compare.self, Diff.self],
        defaultSubcommand: ScoreFile.self)
}

/// The standalone form, also reached without a subcommand name.
struct ScoreFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score one predictions file against references.")

    @Option(help: "Predictions JSONL ({\"id\", \"prediction\"}).")
    var predictions: String

    @Option(help: "References JSONL ({\"id\", \"summary\"}).")
    var references: String

    @OptionGroup var options: ReportOptions

    func run() throws {
        try reportingErrors { () throws(PipelineError) in
            let name = URL(fileURLWithPath: predictions).deletingPathExtension().lastPathComponent
            let report = try RougeEvaluation.evaluate(
                systems: [SystemInput(name: name, predictions: URL(fileURLWithPath: predictions))],
                references: URL(fileURLWithPath: references),
                inputs: ["predictions": predictions, "references": references],
                bootstrap: try options.bootstrap.validated(), allowSubset: options.allowSubset)
            options.noteSubset(report, references: URL(fileURLWithPath: references))
            print(ComparisonTable.render(report.metrics, format: options.format), terminator: "")
        }
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

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score base and LoRA predictions on the same examples, with a paired bootstrap of the difference.")

    @Option(help: "Base model predictions JSONL.")
    var base: String

    @Option(help: "LoRA model predictions JSONL.")
    var lora: String

    @Option(help: "References JSONL.")
    var references: String

    @Option(help: "Write rouge.json and rouge-per-example.jsonl into this directory (e.g. metrics).")
    var outDir: String?

    @Option(name: .customLong("input"), help: "KEY=VALUE recorded in rouge.json \"inputs\" (repeatable).")
    var inputs: [String] = []

    @OptionGroup var options: ReportOptions

    func run() throws {
        var recorded = ["base": base, "lora": lora, "references": references]
        for pair in inputs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--input expects KEY=VALUE, got \"\(pair)\"")
            }
            recorded[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        try reportingErrors { () throws(PipelineError) in
            let report: RougeReport
            if let outDir {
                report = try RougeEvaluation.compareBaseAndLoRA(
                    base: URL(fileURLWithPath: base), lora: URL(fileURLWithPath: lora),
                    references: URL(fileURLWithPath: references), outputDirectory: URL(fileURLWithPath: outDir),
                    inputs: recorded, bootstrap: try options.bootstrap.validated(), allowSubset: options.allowSubset)
            } else {
                report = try RougeEvaluation.evaluate(
                    systems: [SystemInput(name: "base", predictions: URL(fileURLWithPath: base)),
                              SystemInput(name: "lora", predictions: URL(fileURLWithPath: lora))],
                    references: URL(fileURLWithPath: references), inputs: recorded,
                    bootstrap: try options.bootstrap.validated(), allowSubset: options.allowSubset)
            }
            options.noteSubset(report, references: URL(fileURLWithPath: references))
            print(ComparisonTable.render(report.metrics, format: options.format), terminator: "")
        }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "ROUGE at git revisions: two side by side (default HEAD against the working tree), or a sweep table.",
        discussion: """
            Reads the config (pipeline.yaml, its base: chain merged), its lock (pipeline.lock) and \
            <metrics>/rouge.json and rouge-per-example.jsonl at each revision (<metrics>: the config's paths.metrics). \
            For the demo: --config pipeline.demo.yaml.
            Zero to two revisions: A against B with paired-bootstrap intervals and the parameters that differ. \
            Three or more, or a sweep option (--sweep, --sort-by, --working-tree, --format csv): the sweep table, one row per \
            revision with each system's mean F1 per ROUGE type and one column per parameter that differs \
            between any of them. Stage keys and output hashes are listed only with --keys, in both layouts.
            """)

    @Argument(help: ArgumentHelp("Revisions: none (HEAD against the working tree), one (it against the working tree), two (A against B), or more (the sweep table).",
                                 valueName: "revision"))
    var revisions: [String] = []

    @Flag(help: "The sweep table, one row per revision, also for one or two revisions.")
    var sweep = false

    @Option(help: ArgumentHelp("Sort the sweep table by this column (ROUGE columns highest first, the others ascending; numbers as numbers).",
                               valueName: "column"))
    var sortBy: String?

    @Flag(help: "Add the working tree as the sweep table's last row.")
    var workingTree = false

    @Flag(help: "Also list the stage keys and output hashes that differ (sweep columns, or rows of the two-revision diff).")
    var keys = false

    @Option(help: "Output: table, markdown, csv (the sweep table) or json.")
    var format: RougeSweep.Format = .table

    @Option(help: "A directory inside the repository (default: the current directory).")
    var repository: String = "."

    @Option(help: "The pipeline config to compare, relative to the repository root; its lock is <name>.lock.")
    var config: String = "pipeline.yaml"

    @Option(help: "That config's metrics directory, relative to the repository root (default: the config's paths.metrics in the working tree, else metrics).")
    var metrics: String?

    @OptionGroup var bootstrapOptions: BootstrapOptions

    /// The sweep table when asked for, or when the two-revision layout cannot show what was asked.
    var isSweep: Bool { sweep || revisions.count > 2 || sortBy != nil || workingTree || format == .csv }

    func run() throws {
        try reportingErrors { () throws(PipelineError) in
            do throws(PipelineError) { try compare() } catch {
                guard error.status == .missingInput else { throw error }
                // only the demo was run: say which config has metrics
                let root = try GitRepository(containing: URL(fileURLWithPath: repository)).root
                var e = error
                e.message += LockFile.hintAtOtherRuns(in: root, except: root.appendingPathComponent(LockFile.path(forConfig: config)))
                throw e
            }
        }
    }

    func compare() throws(PipelineError) {
            let directory = URL(fileURLWithPath: repository)
            var metricsDirectory = metrics ?? ""
            if metrics == nil {
                metricsDirectory = try DiffFiles.configuredMetrics(config: config, in: try GitRepository(containing: directory))
            }
            let files = DiffFiles(config: config, metricsDirectory: metricsDirectory)
            if isSweep {
                var table = try RougeSweep.across(RougeSweep.revisions(revisions, workingTree: workingTree), in: directory,
                                                  files: files, includeRunIdentities: keys)
                if let sortBy { table = try table.sorted(by: sortBy) }
                print(table.render(format: format), terminator: "")
            } else {
                var diff = try RougeDiff.between(revisions.first, revisions.count > 1 ? revisions[1] : nil, in: directory,
                                                 files: files, bootstrap: try bootstrapOptions.bootstrap.validated())
                diff.showsRunIdentities = keys
                print(diff.render(format: OutputFormat(rawValue: format.rawValue)!), terminator: "")
            }
    }
}
