import ArgumentParser
import MPI
import Pipeline
import Stages

/// `train-lora [run]`: LoRA (or, with train.mode=full, full) fine-tuning of the T5 model.
struct TrainLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lora",
        abstract: "Train a PEFT-compatible LoRA adapter: data/tokens + data/model -> data/adapter/.",
        discussion: """
            Checkpoints every train.checkpoint_every steps and at each epoch end; --resume continues a killed run \
            of the same key to the same bytes. Under `mpirun -np W` each rank computes 1/W of every batch \
            (README: "Several processes or machines"). Exit codes: see README (75: training diverged).
            """,
        subcommands: [Run.self],
        defaultSubcommand: Run.self)

    /// The stage, also reached without a subcommand name, as in every stage tool.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pipeline stage: data/tokens + data/model -> data/adapter/.")

        @Flag(help: "Continue from the last checkpoint of an interrupted run with the same key.")
        var resume = false

        @Flag(help: "Also write data/merged/: the base model with the adapter folded in (train.merge=true).")
        var merge = false

        @OptionGroup var stage: StageOptions

        func run() throws {
            var options = stage
            if merge { options.overrides.append("train.merge=true") }
            var group: ProcessGroup = SingleProcess()
            try runReportingErrors { group = try ProcessGroups.start() }
            if !group.isLeader { Progress.quietByDefault = true }
            try ProcessGroups.run(group) {
                try runReportingErrors { try TrainLoRAStage.run(options, resume: resume, group: group) }
            }
        }
    }
}

TrainLoRA.mainReportingErrors()
