import ArgumentParser
import Foundation
import Pipeline
import Report

/// `pipeline-report [run]`: writes reports/<run>/report.md for the last run of a configuration; `status` says what a
/// rerun would do, `params` shows the configuration the stages would read.
struct PipelineReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-report",
        abstract: "The last run's report (run, the default); what a rerun would do (status); the configuration in effect (params).",
        subcommands: [Run.self, Status.self, Params.self],
        defaultSubcommand: Run.self)
}

extension PipelineReport {
    /// The report as the pipeline's last step, with the stages' options: an unchanged report is left as it is
    /// (--force rewrites it), --verify compares without writing, --quiet drops the "report:" line.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write reports/<run>/report.md: parameters, stage keys and times, loss curves (other revisions' overlaid with --compare), ROUGE, examples.",
            discussion: """
                A report whose content is unchanged (all but the line saying when it was written) is left as it is; \
                --force rewrites it. --verify writes nothing: it says whether the files on disk are what the run's \
                files give now (exit 1 if not, 66 if there is no report).
                """)

        @OptionGroup var stage: StageOptions

        @Option(help: "How many test dialogues to show side by side.")
        var examples = 5

        @Option(help: ArgumentHelp("Overlay the training curves of this git revision's run (repeatable): its train-lora key from the lock at that revision, its log from the store.",
                                   valueName: "revision"))
        var compare: [String] = []

        @Flag(help: "Draw the loss on a logarithmic axis (the first steps' high losses no longer squash the rest).")
        var logLoss = false

        func run() throws {
            try runReportingErrors {
                let report = try RunReport.render(configFile: stage.configFile, overrides: try stage.allOverrides(),
                                                  directory: StageRun.currentDirectory, examples: examples, compare: compare,
                                                  logarithmicLoss: logLoss)
                if stage.verify { return try report.verify() }
                let write = stage.force || !report.filesDifferingOnDisk().isEmpty
                if write { try report.write() }
                if !stage.quiet { print("report: \(report.url.path)" + (write ? "" : " (up to date)")) }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "For each stage: up to date, stale (and why: a parameter, an input, another run's files, upstream) or never run; nothing runs.")

        @OptionGroup var options: ConfigOptions

        func run() throws {
            try runReportingErrors {
                let directory = StageRun.currentDirectory
                let config = try options.load(in: directory)
                print(PipelineStatus(config: config, directory: directory).render(), terminator: "")
            }
        }
    }

    struct Params: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every parameter the stages would read, its value and the file (or --set) that set it, base: chain merged.")

        enum Format: String, ExpressibleByArgument { case table, json }

        @OptionGroup var options: ConfigOptions

        @Option(help: "table, or json ({key: {value, set_in, file_value}}).")
        var format: Format = .table

        func run() throws {
            try runReportingErrors {
                let directory = StageRun.currentDirectory
                let config = try options.load(in: directory)
                let file = try PipelineConfig.load(file: options.configFile, in: directory)
                print(ParameterListing(config: config, file: file, directory: directory).render(json: format == .json), terminator: "")
            }
        }
    }
}

PipelineReport.mainReportingErrors(deprecated: [.subcommand("write", renamedTo: "run")])
