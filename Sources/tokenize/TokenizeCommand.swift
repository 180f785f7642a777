import ArgumentParser
import Failures
import Pipeline
import Foundation
import SentencePiece

/// The root command: the stage (`run`, the default), and each use of the `SentencePiece` library.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a SentencePiece unigram model (pure Swift).",
        discussion: """
            Exit codes: 0 success, 64 bad command line, 65 bad input (corrupt model, \
            malformed id line), 66 model folder or its spiece.model missing.
            """,
        subcommands: [RunCommand.self, EncodeCommand.self, DecodeCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// `--model FOLDER` as every tool spells it: a model folder, whose spiece.model is the tokenizer. A
/// spiece.model file is the old spelling (one notice).
struct ModelOption: ParsableArguments {
    @Option(help: ArgumentHelp("The model folder (its spiece.model is read).", valueName: "folder"))
    var model: String

    @Flag(help: "No settings line on stderr.")
    var quiet = false

    func load() throws -> SentencePieceProcessor {
        do {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: model, isDirectory: &isFolder) else {
                throw PipelineError.missingInput("no such model folder", path: model)
            }
            let file = isFolder.boolValue ? URL(fileURLWithPath: model).appendingPathComponent("spiece.model").path : model
            if !isFolder.boolValue { printWarning("tokenize --model <spiece.model file> is deprecated; use --model <model folder>") }
            let processor = try SentencePieceProcessor(path: file)
            // encode and decode read no configuration: the line names the tokenizer that decides the output
            if !quiet { printSettingsLine(configuration: file, [("vocabulary", "\(processor.vocabularySize)")]) }
            return processor
        } catch {
            throw fail(error)
        }
    }
}

/// Prints one line on stderr and exits with the code that fits the failure.
func fail(_ error: Error) -> ExitCode {
    if let e = error as? ExitCode { return e }
    let error = PipelineError(classifying: error)
    printError(error.description)
    return ExitCode(error.status.rawValue)
}

/// Standard input split on "\n" exactly as the reference script splits a file:
/// a final newline ends the last line rather than starting an empty one.
func readStandardInputLines() -> [ArraySlice<UInt8>] {
    let data = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    if data.last == 0x0A || data.isEmpty { lines.removeLast() }
    return lines
}

/// Buffers output and writes it in large blocks.
struct OutputBuffer {
    private var bytes: [UInt8] = []
    mutating func append(_ text: some Sequence<UInt8>) {
        bytes.append(contentsOf: text)
        if bytes.count > 1 << 20 { flush() }
    }
    mutating func flush() {
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
