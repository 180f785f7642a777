import ArgumentParser
import Pipeline
import Stages

/// `fetch-model`: a pinned Hugging Face model revision (or a local directory) -> data/model/.
struct FetchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-model",
        abstract: "Download model.repo at model.revision (or take a local directory), validate it, expose data/model/.",
        discussion: "HF_TOKEN, if set, is sent to the hub only and never printed. Exit codes: see README.")

    @Option(help: "A local model directory (config.json, spiece.model, model.safetensors); overrides model.local_dir.")
    var localDir: String?

    @OptionGroup var stage: StageOptions

    func run() throws {
        try runReportingErrors { try FetchModelStage.run(stage, localDirectory: localDir.map(StageRun.commandLinePath)) }
    }
}

FetchModel.main()
