import ArgumentParser
import Pipeline
import Stages

/// `fetch-model [run]`: a pinned Hugging Face model revision (or a local model folder) -> data/model/.
struct FetchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-model",
        abstract: "Download model.repo at model.revision (or take a local model folder), validate it, expose data/model/.",
        discussion: "HF_TOKEN, if set, is sent to the hub only and never printed. Exit codes: see README.",
        subcommands: [Run.self],
        defaultSubcommand: Run.self)

    /// The stage, also reached without a subcommand name, as in every stage tool.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pipeline stage: the model -> data/model/{config.json, model.safetensors, spiece.model}.")

        @Option(help: ArgumentHelp("A local model folder (config.json, spiece.model, model.safetensors); overrides model.local_dir.",
                                   valueName: "folder"))
        var model: String?

        @OptionGroup var stage: StageOptions

        func run() throws {
            try runReportingErrors { try FetchModelStage.run(stage, localDirectory: model.map(StageRun.commandLinePath)) }
        }
    }
}

FetchModel.mainReportingErrors(deprecated: [.option("--local-dir", renamedTo: "--model")])
