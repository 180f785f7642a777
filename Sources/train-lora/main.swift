import ArgumentParser
import Pipeline
import Stages

/// `train-lora`: LoRA (or, with train.mode=full, full) fine-tuning of the T5 model.
struct TrainLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lora",
        abstract: "Train a PEFT-compatible LoRA adapter: data/tokens + data/model -> data/adapter/.",
        discussion: """
            Checkpoints every train.checkpoint_every steps and at each epoch end; --resume continues a killed run \
            of the same key to the same bytes. Exit codes: see README (75: training diverged).
            """)

    @Flag(help: "Continue from the last checkpoint of an interrupted run with the same key.")
    var resume = false

    @OptionGroup var stage: StageOptions

    func run() throws {
        try runReportingErrors { try TrainLoRAStage.run(stage, resume: resume) }
    }
}

TrainLoRA.main()
