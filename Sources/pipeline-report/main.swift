import ArgumentParser
import Foundation
import Pipeline
import Report

/// `pipeline-report`: writes reports/<run>/report.md for the last run of a configuration.
struct PipelineReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-report",
        abstract: "Write reports/<run>/report.md: parameters, stage keys and times, loss curves (other revisions' overlaid with --compare), ROUGE, examples.")

    @Option(help: "The pipeline configuration file (default: pipeline.yaml here, else the built-in defaults).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter as the stages were given it (repeatable): the report's paths and its comparison with the file follow it.", valueName: "section.key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("sets"), help: ArgumentHelp("Several overrides in one string, as make's SET passes them.", valueName: "overrides"))
    var overrideList: String?

    @Option(help: "How many test dialogues to show side by side.")
    var examples = 5

    @Option(help: ArgumentHelp("Overlay the training curves of this git revision's run (repeatable): its train-lora key from the lock at that revision, its log from the store.",
                               valueName: "revision"))
    var compare: [String] = []

    func run() throws {
        try runReportingErrors {
            let url = try RunReport.write(configFile: config, overrides: try OverrideList.split(overrideList ?? "") + overrides,
                                          directory: StageRun.currentDirectory,
                                          examples: examples, compare: compare)
            print("report: \(url.path)")
        }
    }
}

PipelineReport.main()
