import ArgumentParser
import Failures
import Foundation
import MPI
import Pipeline
import Stages

/// `generate`: summaries from the base model or base + LoRA adapter.
///   generate [run] [--variant base|lora] [--limit N] [stage options]                the cached pipeline stage
///   generate summarize --model DIR [--adapter DIR] --input F.jsonl [--output P.jsonl|-]   standalone, uncached
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Summarize dialogues with the T5 engine (greedy or beam search, settings from generation.*).",
        discussion: "Exit codes: see README.",
        subcommands: [Run.self, Summarize.self],
        defaultSubcommand: Run.self)

    /// The stage, also reached without a subcommand name, as in every stage tool.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pipeline stage: data/tokens/test.safetensors (+ data/adapter for lora) -> data/predictions/<variant>.jsonl.")

        @Option(help: "base (the model alone) or lora (model + data/adapter).")
        var variant: GenerateStage.Variant = .base

        @Option(help: "Only the first N examples (overrides generation.limit).")
        var limit: Int?

        @OptionGroup var stage: StageOptions

        func run() throws {
            var group: ProcessGroup = SingleProcess()
            try runReportingErrors { group = try ProcessGroups.start() }
            if !group.isLeader { Progress.quietByDefault = true }
            try ProcessGroups.run(group) {
                try runReportingErrors {
                    // --limit is generation.limit: part of the stage key like any parameter.
                    var options = stage
                    if let limit { options.overrides.append("generation.limit=\(limit)") }
                    try GenerateStage.run(options, variant: variant, group: group)
                }
            }
        }
    }

    /// Any JSONL of dialogues, uncached, with the settings of the configuration (generation.*, tokenize.prompt and
    /// tokenize.max_source_length).
    struct Summarize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarize any JSONL of {id, dialogue} (uncached), with the configuration's generation settings.")

        @Option(help: ArgumentHelp("The model folder (config.json, model.safetensors, spiece.model).", valueName: "folder"))
        var model: String

        @Option(help: ArgumentHelp("A PEFT adapter folder.", valueName: "folder"))
        var adapter: String?

        @Option(help: ArgumentHelp("Input JSONL with id and dialogue.", valueName: "file"))
        var input: String

        @Option(help: ArgumentHelp("Output JSONL (id, prediction); - for stdout.", valueName: "file"))
        var output = "-"

        @Option(help: "Only the first N dialogues.")
        var limit: Int?

        @OptionGroup var config: ConfigOptions

        @Flag(help: "No settings line and no progress output.")
        var quiet = false

        func run() throws {
            var group: ProcessGroup = SingleProcess()
            try runReportingErrors { group = try ProcessGroups.start() }
            try ProcessGroups.run(group) {
                try runReportingErrors {
                    guard group.size == 1 else { throw PipelineError.usage("generate summarize runs in one process, not under mpirun") }
                    let c = try config.load()
                    Progress.quietByDefault = quiet
                    if !quiet {
                        printSettingsLine(config, c, keys: ["generation.max_new_tokens", "tokenize.max_source_length",
                                                            "generation.num_beams", "generation.weights_dtype"])
                    }
                    try GenerateStage.standalone(config: c, model: model, adapter: adapter, input: input, output: output, limit: limit)
                }
            }
        }
    }
}

extension GenerateStage.Variant: ExpressibleByArgument {}

GenerateCommand.mainReportingErrors(deprecated: [
    .implicitSubcommand("summarize", recognisedBy: ["--model", "--input", "--output", "--adapter"], knownSubcommands: ["run", "summarize"]),
])
