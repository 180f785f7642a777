import Failures
import Foundation
import Pipeline
import Yams

/// A sweep file: several runs of the pipeline, each a list of overrides of one base configuration, as `SET` spells
/// them (`make sweep SWEEP=sweeps/demo-methods.yaml`):
///
///     config: pipeline.demo.yaml     # relative to the sweep file's folder
///     baseline: lora                 # the row the others' paired intervals are against
///     runs:
///       - name: lora
///         set: []
///       - name: ia3
///         set: ["train.mode=ia3"]
///
/// Each run is the whole pipeline with its overrides: stages whose parameters it does not change are cache hits,
/// and a killed sweep rerun does only what is missing (train-lora resumes from its checkpoint).
public struct Sweep: Sendable, Equatable {
    public struct Run: Sendable, Equatable {
        public let name: String
        /// `section.key=value` items (the SET syntax).
        public let overrides: [String]
        /// The items as one `SET` string (the Makefile hands it to every stage).
        public var setString: String { overrides.joined(separator: " ") }
    }

    /// The sweep's name: its file's name without the extension (records go to `<paths.metrics>/sweeps/<name>/`).
    public let name: String
    /// The base configuration file, resolved against the sweep file's folder.
    public let config: URL
    public let baseline: String
    public let runs: [Run]

    public init(name: String, config: URL, baseline: String, runs: [Run]) {
        (self.name, self.config, self.baseline, self.runs) = (name, config, baseline, runs)
    }

    /// Reads and checks a sweep file: known fields, unique run names of letters, digits, `.`, `_`, `-`, a baseline
    /// among them, and every run's overrides valid for the base configuration (the schema's names, types, ranges).
    public static func load(path: String) throws -> Sweep {
        let url = URL(fileURLWithPath: path)
        func bad(_ m: String) -> PipelineError { .usage(m, path: path) }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PipelineError.missingInput("cannot read the sweep file: \(error.localizedDescription)", path: path)
        }
        guard let root = try? Yams.load(yaml: text) as? [String: Any] else { throw bad("not a YAML mapping with config, baseline and runs") }
        if let unknown = root.keys.sorted().first(where: { !["config", "baseline", "runs"].contains($0) }) {
            throw bad("unknown field \"\(unknown)\" (a sweep has config, baseline, runs)")
        }
        guard let config = root["config"] as? String, !config.isEmpty else { throw bad("config (the base pipeline file) is missing") }
        guard let list = root["runs"] as? [[String: Any]], !list.isEmpty else { throw bad("runs is missing or not a list of {name, set}") }
        var runs: [Run] = []
        for (i, item) in list.enumerated() {
            guard let name = item["name"] as? String, !name.isEmpty,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw bad("run \(i + 1): name must be letters, digits, '.', '_' or '-'")
            }
            guard !runs.contains(where: { $0.name == name }) else { throw bad("run \"\(name)\" is listed twice") }
            if let unknown = item.keys.sorted().first(where: { !["name", "set"].contains($0) }) {
                throw bad("run \"\(name)\": unknown field \"\(unknown)\" (a run has name and set)")
            }
            let overrides = item["set"].map { value -> [String]? in (value as? [Any])?.compactMap { $0 as? String } } ?? []
            guard let overrides, overrides.count == ((item["set"] as? [Any])?.count ?? 0) else {
                throw bad("run \"\(name)\": set must be a list of \"section.key=value\" strings")
            }
            runs.append(Run(name: name, overrides: overrides))
        }
        let baseline = root["baseline"] as? String ?? runs[0].name
        guard runs.contains(where: { $0.name == baseline }) else { throw bad("baseline \"\(baseline)\" is not one of the runs") }
        let configURL = URL(fileURLWithPath: config, relativeTo: url.deletingLastPathComponent()).standardizedFileURL
        let sweep = Sweep(name: url.deletingPathExtension().lastPathComponent, config: configURL, baseline: baseline, runs: runs)
        for run in runs {
            do { _ = try sweep.configuration(of: run) } catch let e as PipelineError {
                throw PipelineError(e.status, "run \"\(run.name)\": \(e.message)", path: path)
            }
        }
        return sweep
    }

    /// The run's configuration: the base file with its overrides.
    public func configuration(of run: Run) throws -> PipelineConfig {
        try PipelineConfig.load(path: config.path, overrides: run.overrides)
    }

    public func run(named name: String) throws -> Run {
        guard let run = runs.first(where: { $0.name == name }) else {
            throw PipelineError.usage("no run \"\(name)\" in sweep \(self.name) (\(runs.map(\.name).joined(separator: ", ")))")
        }
        return run
    }

    /// Where the run records go: `<paths.metrics>/sweeps/<sweep name>/`.
    public func recordsFolder() throws -> URL {
        let base = try PipelineConfig.load(path: config.path)
        return base.resolve(base.value("paths.metrics").stringValue! + "/sweeps/" + name)
    }
}
