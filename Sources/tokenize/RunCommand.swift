import ArgumentParser
import Pipeline
import Stages

/// `tokenize [run]`: the pipeline stage (cached by content, see docs/ARCHITECTURE.md).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The pipeline stage: data/samsum/*.jsonl + spiece.model -> data/tokens/*.safetensors.")

    @OptionGroup var stage: StageOptions

    func run() throws {
        try runReportingErrors { try TokenizeStage.run(stage) }
    }
}
