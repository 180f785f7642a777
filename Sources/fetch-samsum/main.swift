import ArgumentParser
import Pipeline
import Stages

/// `fetch-samsum [run]`: the SAMSum corpus (pinned corpus.7z) -> data/samsum/*.jsonl.
struct FetchSamsum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-samsum",
        abstract: "Download (or take a local) SAMSum corpus.7z, verify it, write data/samsum/{train,validation,test}.jsonl.",
        discussion: "Exit codes: see README (64 usage, 65 bad input, 66 missing input, 69 network, 74 I/O, 76 integrity).",
        subcommands: [Run.self],
        defaultSubcommand: Run.self)

    /// The stage, also reached without a subcommand name, as in every stage tool.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pipeline stage: corpus.7z -> data/samsum/{train,validation,test}.jsonl.")

        @Option(help: "A local corpus.7z (offline); overrides samsum.archive.")
        var archive: String?

        @OptionGroup var stage: StageOptions

        func run() throws {
            try runReportingErrors { try FetchSamsumStage.run(stage, archive: archive.map(StageRun.commandLinePath)) }
        }
    }
}

FetchSamsum.mainReportingErrors()
