import ArgumentParser
import Failures
import Pipeline
import Foundation
import SentencePiece

/// The root command; each subcommand is one use of the `SentencePiece` library.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a SentencePiece unigram model (pure Swift).",
        discussion: """
            Exit codes: 0 success, 64 bad command line, 65 bad input (corrupt model, \
            malformed id line), 66 model file missing or unreadable.
            """,
        subcommands: [RunCommand.self, EncodeCommand.self, DecodeCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// Prints one line on stderr and exits with the code that fits the failure.
func fail(_ error: Error) -> ExitCode {
    let error = PipelineError(classifying: error)
    printError(error.description)
    return ExitCode(error.status.rawValue)
}

func loadModel(_ path: String) throws -> SentencePieceProcessor {
    do { return try SentencePieceProcessor(path: path) } catch { throw fail(error) }
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
