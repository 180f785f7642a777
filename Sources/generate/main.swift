import ArgumentParser
import Failures
import Foundation
import MPI
import Pipeline
import Stages

/// `generate`: summaries from the base model or base + LoRA adapter.
///   generate [--variant base|lora] [--limit N] [stage options]       the cached pipeline stage
///   generate --model DIR [--adapter DIR] --input F.jsonl --output P.jsonl   standalone, uncached
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Summarize dialogues with the T5 engine (greedy or beam search, settings from generation.*).",
        discussion: """
            Stage: data/tokens/test.safetensors (+ data/adapter for --variant lora) -> data/predictions/<variant>.jsonl.
            Standalone: --input JSONL rows with id and dialogue; the prompt comes from tokenize.prompt.
            Exit codes: see README.
            """)

    @Option(help: "Stage: base (the model alone) or lora (model + data/adapter).")
    var variant: GenerateStage.Variant = .base

    @Option(help: "Only the first N examples (overrides generation.limit).")
    var limit: Int?

    @Option(help: "Standalone: model directory (config.json, model.safetensors, spiece.model).")
    var model: String?

    @Option(help: "Standalone: PEFT adapter directory.")
    var adapter: String?

    @Option(help: "Standalone: input JSONL with id and dialogue.")
    var input: String?

    @Option(help: "Standalone: output JSONL (id, prediction).")
    var output: String?

    @OptionGroup var stage: StageOptions

    func validate() throws {
        if input != nil || output != nil || model != nil || adapter != nil {
            guard input != nil, output != nil, model != nil else {
                throw ValidationError("standalone use needs --model, --input and --output")
            }
        }
    }

    func run() throws {
        var group: ProcessGroup = SingleProcess()
        try runReportingErrors { group = try ProcessGroups.start() }
        if !group.isLeader { Progress.quietByDefault = true }
        try ProcessGroups.run(group) {
            try runReportingErrors {
                if let input, let output, let model {
                    guard group.size == 1 else { throw PipelineError.usage("standalone generate runs in one process, not under mpirun") }
                    let c = try PipelineConfig.load(stage, in: StageRun.currentDirectory)
                    Progress.quietByDefault = stage.quiet
                    try GenerateStage.standalone(config: c, model: model, adapter: adapter, input: input, output: output, limit: limit)
                } else {
                    // --limit is generation.limit: part of the stage key like any parameter.
                    var options = stage
                    if let limit { options.overrides.append("generation.limit=\(limit)") }
                    try GenerateStage.run(options, variant: variant, group: group)
                }
            }
        }
    }
}

extension GenerateStage.Variant: ExpressibleByArgument {}

GenerateCommand.main()
