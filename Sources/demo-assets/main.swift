import ArgumentParser
import DemoAssets
import Foundation
import Pipeline

/// Rebuilds the demo's embedded assets from the generator in this repository.
struct DemoAssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-assets",
        abstract: "Rebuild the demo corpus (and its plain text, for training the demo vocabulary).",
        subcommands: [Text.self])

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

DemoAssetsCommand.main()
