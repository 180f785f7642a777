import ArgumentParser
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
    do { try body() } catch let e as PipelineError {
        printError(e.description)
        throw ExitCode(e.status.rawValue)
    } catch let e as ExitCode {
        throw e
    } catch let e as CocoaError {
        let path = (e.userInfo[NSFilePathErrorKey] as? String) ?? (e.userInfo["NSURL"] as? URL)?.path
        let status: ExitStatus = e.code == .fileReadNoSuchFile || e.code == .fileNoSuchFile ? .missingInput : .io
        printError(PipelineError(status, e.localizedDescription, path: path).description)
        throw ExitCode(status.rawValue)
    } catch {
        // Library errors (tokenizer, safetensors, corpus, …) describe a bad input in one line.
        printError(String(describing: error))
        throw ExitCode(ExitStatus.badInput.rawValue)
    }
}

public func printError(_ line: String) {
    let prog = URL(fileURLWithPath: CommandLine.arguments.first ?? "stage").lastPathComponent
    FileHandle.standardError.write(Data("\(prog): error: \(line.replacingOccurrences(of: "\n", with: " "))\n".utf8))
}
