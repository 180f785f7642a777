import ArgumentParser
import Foundation
import Pipeline
import Report

/// `pipeline-report`: writes reports/<run>/report.md for the last run of a configuration; `status` says what a
/// rerun would do, `params` shows the configuration the stages would read.
struct PipelineReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-report",
        abstract: "The last run's report; what a rerun would do (status); the configuration in effect (params).",
        subcommands: [Write.self, Status.self, Params.self],
        defaultSubcommand: Write.self)
}

/// The configuration options every subcommand takes, as the stages take them.
struct ConfigOptions: ParsableArguments {
    @Option(help: "The pipeline configuration file (default: pipeline.yaml here, else the built-in defaults).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter as the stages were given it (repeatable).", valueName: "section.key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("sets"), help: ArgumentHelp("Several overrides in one string, as make's SET passes them.", valueName: "overrides"))
    var overrideList: String?

    func allOverrides() throws -> [String] { try OverrideList.split(overrideList ?? "") + overrides }
}

extension PipelineReport {
    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "write",
            abstract: "Write reports/<run>/report.md: parameters, stage keys and times, loss curves (other revisions' overlaid with --compare), ROUGE, examples (the default).")

        @OptionGroup var options: ConfigOptions

        @Option(help: "How many test dialogues to show side by side.")
        var examples = 5

        @Option(help: ArgumentHelp("Overlay the training curves of this git revision's run (repeatable): its train-lora key from the lock at that revision, its log from the store.",
                                   valueName: "revision"))
        var compare: [String] = []

        @Flag(help: "Draw the loss on a logarithmic axis (the first steps' high losses no longer squash the rest).")
        var logLoss = false

        func run() throws {
            try runReportingErrors {
                let url = try RunReport.write(configFile: options.config, overrides: try options.allOverrides(),
                                              directory: StageRun.currentDirectory, examples: examples, compare: compare,
                                              logarithmicLoss: logLoss)
                print("report: \(url.path)")
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
                let config = try PipelineConfig.load(file: options.config, overrides: try options.allOverrides(), in: directory)
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
                let config = try PipelineConfig.load(file: options.config, overrides: try options.allOverrides(), in: directory)
                let file = try PipelineConfig.load(file: options.config, in: directory)
                print(ParameterListing(config: config, file: file, directory: directory).render(json: format == .json), terminator: "")
            }
        }
    }
}

PipelineReport.main()
