import ArgumentParser
import Failures
import Foundation
import JSON

// The entry point every executable shares: the README's one error line for a bad command line too (the
// parser's own output is an "Error:" line, a usage block and a hint), and the old spellings of the
// vocabulary rewritten to the new ones with one notice each (README, "The tools' vocabulary").

extension ParsableCommand {
    /// Parses and runs the command as `main()` does, except that a command-line error is one line,
    /// `<program>: error: <problem> (see <program> --help)`, with exit 64, and that `deprecated`
    /// spellings are rewritten first, each with one `warning: … is deprecated; use …` line on stderr.
    /// `--help` still prints the help on stdout.
    public static func mainReportingErrors(deprecated: [DeprecatedSpelling] = [],
                                           arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        var arguments = arguments
        for spelling in deprecated {
            guard let rewritten = spelling.rewrite(arguments) else { continue }
            printWarning("\(spelling.old) is deprecated; use \(spelling.new)")
            arguments = rewritten
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitReporting(error)
        }
        do {
            try command.run()
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)  // already reported (runReportingErrors)
        } catch let e as PipelineError {
            printError(e.description)
            Foundation.exit(e.status.rawValue)
        } catch {
            exitReporting(error)
        }
    }

    /// Help and version requests as the parser prints them; anything else the parser knows (a parse or
    /// validation error, 64) on one line; an error it does not know through `PipelineError`'s kinds.
    private static func exitReporting(_ error: Error) -> Never {
        if let e = error as? ExitCode { Foundation.exit(e.rawValue) }
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        if code == .validationFailure {
            let program = programName
            printError("\(lowercasingFirst(message(for: error))) (see \(program) --help)")
            Foundation.exit(code.rawValue)
        }
        let e = PipelineError(classifying: error)
        printError(e.description)
        Foundation.exit(e.status.rawValue)
    }

    private static func lowercasingFirst(_ s: String) -> String {
        // "Missing expected argument …" reads as the rest of the line after "error: "; an option name stays as is
        guard let first = s.first, first.isUppercase, s.dropFirst().first?.isLowercase == true else { return s }
        return first.lowercased() + s.dropFirst()
    }
}

/// The executable's name as invoked (the `<program>` of every error and warning line).
public var programName: String { URL(fileURLWithPath: CommandLine.arguments.first ?? "stage").lastPathComponent }

/// `<program>: warning: <message>` on stderr, on one line.
public func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("\(programName): warning: \(printable(message))\n".utf8))
}

/// An old spelling of a command line that still works for one release: `rewrite` returns the arguments in
/// the new spelling when the old one is used (nil otherwise), and the notice names both.
public struct DeprecatedSpelling: Sendable {
    public var old: String
    public var new: String
    public var rewrite: @Sendable ([String]) -> [String]?

    public init(old: String, new: String, rewrite: @escaping @Sendable ([String]) -> [String]?) {
        self.old = old
        self.new = new
        self.rewrite = rewrite
    }

    /// The arguments before `--` (after it every word is a value).
    private static func optionRange(_ arguments: [String]) -> Range<Int> {
        0..<(arguments.firstIndex(of: "--") ?? arguments.count)
    }

    /// An option renamed, `--old VALUE` and `--old=VALUE` alike; with `subcommand`, only after that
    /// subcommand's name (the first argument), since another subcommand may use the old name for something else.
    public static func option(_ old: String, renamedTo new: String, subcommand: String? = nil) -> DeprecatedSpelling {
        let program = programName
        let scope = subcommand.map { "\(program) \($0)" } ?? program
        return DeprecatedSpelling(old: "\(scope) \(old)", new: "\(scope) \(new)") { arguments in
            if let subcommand, arguments.first != subcommand { return nil }
            var out = arguments, changed = false
            for i in optionRange(arguments) {
                if arguments[i] == old {
                    out[i] = new
                    changed = true
                } else if arguments[i].hasPrefix(old + "=") {
                    out[i] = new + arguments[i].dropFirst(old.count)
                    changed = true
                }
            }
            return changed ? out : nil
        }
    }

    /// A subcommand renamed (the first argument).
    public static func subcommand(_ old: String, renamedTo new: String) -> DeprecatedSpelling {
        let program = programName
        return DeprecatedSpelling(old: "\(program) \(old)", new: "\(program) \(new)") { arguments in
            guard arguments.first == old else { return nil }
            return [new] + arguments.dropFirst()
        }
    }

    /// A form that used to be reached with no subcommand, recognised by one of `options`, which now needs
    /// `subcommand` (the default subcommand runs the stage).
    public static func implicitSubcommand(_ subcommand: String, recognisedBy options: [String],
                                          knownSubcommands: [String]) -> DeprecatedSpelling {
        let program = programName
        return DeprecatedSpelling(old: "\(program) \(options[0]) … without a subcommand", new: "\(program) \(subcommand) \(options[0]) …") {
            arguments in
            if let first = arguments.first, !first.hasPrefix("-"), knownSubcommands.contains(first) { return nil }
            let words = arguments[optionRange(arguments)]
            guard words.contains(where: { word in options.contains { word == $0 || word.hasPrefix($0 + "=") } }) else { return nil }
            return [subcommand] + arguments
        }
    }
}

/// The configuration options of the tools' standalone verbs (`generate summarize`, `score-rouge score`, …):
/// the stages' `--config`, `--set` and `--sets`, which give the verb its defaults.
public struct ConfigOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("config"),
            help: "The pipeline configuration file for the defaults (default: pipeline.yaml here, else the built-in defaults).")
    public var configFile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter (repeatable).", valueName: "section.key=value"))
    public var overrides: [String] = []

    @Option(name: .customLong("sets"), help: ArgumentHelp("Several overrides in one string, as make's SET passes them.", valueName: "overrides"))
    public var overrideList: String?

    public init() {}

    /// `--sets`' items, then the `--set`s.
    public func allOverrides() throws(PipelineError) -> [String] {
        try OverrideList.split(overrideList ?? "") + overrides
    }

    /// The configuration these options name, loaded from `folder` (the current one), with `extra` overrides
    /// (a verb's own options for parameters, e.g. `--seed` for `rouge.seed`) applied after `--set`.
    public func load(in folder: URL = StageRun.currentDirectory, extra: [String] = []) throws -> PipelineConfig {
        try PipelineConfig.load(file: configFile, overrides: try allOverrides() + extra, in: folder)
    }

    /// What the settings line calls the configuration: the file as given, `pipeline.yaml` found here, or the
    /// built-in defaults.
    public func name(of config: PipelineConfig) -> String {
        config.isBuiltIn ? "the built-in defaults" : (configFile ?? BuiltInConfiguration.fileName)
    }
}

/// The one line a standalone verb prints on stderr before it works: which configuration gave its defaults and the
/// settings that decide its output, e.g. `generate: pipeline.demo.yaml: generation.max_new_tokens 48, …`.
public func printSettingsLine(_ options: ConfigOptions, _ config: PipelineConfig, keys: [String]) {
    printSettingsLine(configuration: options.name(of: config), config, keys: keys)
}

/// The line with `keys`' values in `config`, the configuration called `name`.
public func printSettingsLine(configuration name: String, _ config: PipelineConfig, keys: [String]) {
    printSettingsLine(configuration: name, keys.map { key in let v = config.value(key); return (key, v.stringValue ?? v.canonical) })
}

public func printSettingsLine(configuration: String, _ settings: [(String, String)]) {
    let list = settings.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    FileHandle.standardError.write(Data("\(programName): \(printable(configuration)): \(printable(list))\n".utf8))
}
