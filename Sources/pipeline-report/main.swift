import ArgumentParser
import Foundation
import Pipeline
import Report

/// `pipeline-report`: writes reports/<run>/report.md for the last run of a configuration.
struct PipelineReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-report",
        abstract: "Write reports/<run>/report.md: parameters, stage keys and times, loss curves, ROUGE, examples.")

    @Option(help: "The pipeline configuration file (default: pipeline.yaml here, else the built-in defaults).")
    var config: String?

    @Option(help: "How many test dialogues to show side by side.")
    var examples = 5

    func run() throws {
        try runReportingErrors {
            let url = try RunReport.write(configFile: config, directory: StageRun.currentDirectory, examples: examples)
            print("report: \(url.path)")
        }
    }
}

PipelineReport.main()
