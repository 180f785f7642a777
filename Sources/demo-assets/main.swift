import ArgumentParser
import DemoAssets
import Foundation
import Pipeline

/// Rebuilds the demo's embedded assets from the generator in this repository.
struct DemoAssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-assets",
        abstract: "Rebuild the demo corpus (and its plain text, for training the demo vocabulary).",
        subcommands: [Corpus.self, InitModel.self, Text.self])

    struct Corpus: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the demo corpus.7z (or, with --pretraining, the base model's lead-summary corpus).")

        @Option(help: ArgumentHelp("The archive to write.", valueName: "file"))
        var output: String

        @Flag(help: "The pretraining corpus: other dialogues, extractive lead turns as summaries.")
        var pretraining = false

        func validate() throws {
            // its sha256 goes to stdout, so stdout cannot also carry the archive
            guard output != "-" else { throw ValidationError("--output must name a file: corpus prints the archive's sha256 on stdout") }
        }

        func run() throws {
            try runReportingErrors {
                let spec = pretraining ? DemoCorpusSpec.pretraining : DemoCorpusSpec()
                try spec.writeArchive(to: URL(fileURLWithPath: output))
                print("\(output): sha256 \(try Digest.sha256(fileAt: URL(fileURLWithPath: output)))")
            }
        }
    }

    struct InitModel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-model",
            abstract: "Write the demo model's seeded initial weights, config.json and tokenizer into a directory.")

        @Option(help: ArgumentHelp("The model folder to write.", valueName: "folder"))
        var output: String

        @Option(help: "The SentencePiece model to ship with it.")
        var spiece = "demo/spiece.model"

        func validate() throws {
            guard output != "-" else { throw ValidationError("--output must name a folder: init-model writes three files") }
        }

        func run() throws {
            try runReportingErrors {
                try DemoModelRecipe().writeInitialModel(to: URL(fileURLWithPath: output), spiece: URL(fileURLWithPath: spiece))
            }
        }
    }

    struct Text: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every training dialogue and summary as plain text (one turn per line).")

        func run() throws {
            try runReportingErrors {
                var out = ""
                for d in DemoCorpusSpec().generate().train {
                    for line in d.dialogue.split(whereSeparator: \.isNewline) { out += line + "\n" }
                    out += d.summary + "\n"
                }
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        }
    }
}

DemoAssetsCommand.mainReportingErrors(deprecated: [.option("--out", renamedTo: "--output")])
