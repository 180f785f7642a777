import ArgumentParser
import Failures
import Foundation

/// The options every stage executable takes (`@OptionGroup var stage: StageOptions`).
public struct StageOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("config"),
            help: "The pipeline configuration file (default: pipeline.yaml here, else the built-in defaults).")
    public var configFile: String?

    /// The configuration file's name as given, or the default one's (messages, the manifest).
    public var config: String { configFile ?? BuiltInConfiguration.fileName }

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter (repeatable).", valueName: "section.key=value"))
    public var overrides: [String] = []

    @Option(name: .customLong("sets"), help: ArgumentHelp("Several overrides in one string, as make's SET passes them: separated by spaces outside brackets, braces and quotes.", valueName: "overrides"))
    public var overrideList: String?

    /// `--sets`' items, then the `--set`s.
    public func allOverrides() throws(PipelineError) -> [String] {
        try OverrideList.split(overrideList ?? "") + overrides
    }

    @Flag(help: "Recompute even if a cached result exists.")
    public var force = false

    @Flag(help: "Recompute into a temp dir and report whether the result is byte-identical to the cached one.")
    public var verify = false

    @Flag(help: "No progress output.")
    public var quiet = false

    public init() {}
}

/// Runs a command body and turns any failure into one line on stderr and a documented
/// exit status (see `ExitStatus`): no stack traces, no "Error:" noise from the parser.
public func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode {
        throw e
    } catch {
        let e = PipelineError(classifying: error)
        printError(e.description)
        throw ExitCode(e.status.rawValue)
    }
}

/// `<program>: error: <message>` on stderr, on one line, with control characters escaped and no URL's
/// credentials.
public func printError(_ line: String) {
    let prog = URL(fileURLWithPath: CommandLine.arguments.first ?? "stage").lastPathComponent
    FileHandle.standardError.write(Data("\(prog): error: \(printable(redactingURLCredentials(line)))\n".utf8))
}

/// A message safe to print on one line: a newline becomes a space, and any other control or
/// invisible formatting character (e.g. a NUL read from a malformed file) is written as \u{XX}.
public func printable(_ message: String) -> String {
    var out = ""
    for scalar in message.unicodeScalars {
        switch scalar {
        case "\n": out += " "
        case "\r": continue
        case _ where scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format:
            out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
