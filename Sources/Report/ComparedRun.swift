import Failures
import Foundation
import JSON
import Pipeline
import Experiments
import Rouge

/// The training run of another git revision, for overlaying its loss curves on this run's: the
/// configuration's lock at that revision names its train-lora key (read from git as `score-rouge diff`
/// reads a lock), and this project's store holds that key's `log.jsonl`. The log is not among the
/// lock's outputs (it records wall-clock times, so it is not reproducible), but it is in the store entry.
public struct ComparedRun: Sendable {
    /// The revision as given, e.g. "HEAD~1".
    public var revision: String
    public var commit: String
    /// Its train-lora key.
    public var key: String
    /// Its log.jsonl.
    public var log: String
    /// The parameters its train-lora read, as its lock records them.
    public var params: [String: JSONValue] = [:]

    /// How the chart and the report name it, e.g. "HEAD~1 1a2b3c4d".
    public var label: String { "\(revision) \(commit.prefix(8))" }

    /// The log's name in a train-lora store entry (TrainLoRAStage's output).
    static let logName = "log.jsonl"

    /// Finds `revision`'s train-lora log, or fails naming the revision and what is missing: the lock at
    /// that revision, its train-lora record, or (naming the key) the log in this store.
    public static func load(_ revision: String, config: PipelineConfig) throws -> ComparedRun {
        let repository = try GitRepository(containing: config.folder)
        let commit = try repository.commit(revision)
        let name = "\(revision) (\(commit.prefix(12)))"
        // git names the top level with symbolic links resolved; so must the lock's path inside it be.
        let top = repository.root.resolvingSymlinksInPath().path + "/"
        let lockURL = config.folder.resolvingSymlinksInPath().appendingPathComponent(config.lockURL.lastPathComponent)
        guard lockURL.path.hasPrefix(top) else {
            throw PipelineError.usage("the lock is not inside the git repository \(repository.root.path)", path: config.lockURL.path)
        }
        let lockPath = String(lockURL.path.dropFirst(top.count))
        guard let data = try repository.file(lockPath, at: commit) else {
            throw PipelineError.missingInput("\(name) has no \(lockPath), so no train-lora run to compare with", path: lockPath)
        }
        guard let lock = try? LockFile.stages(in: data) else {
            throw PipelineError.badInput("not valid JSON at \(name)", path: lockPath)
        }
        guard let key = lock["train-lora"]?["key"]?.stringValue else {
            throw PipelineError.missingInput("\(name) records no train-lora run (no stages.train-lora.key)", path: lockPath)
        }
        // The key becomes a path in the store: only a SHA-256 in hex, never "../…".
        guard LockedInputs.isKey(key) else {
            throw PipelineError.badInput("the train-lora key at \(name) is not a SHA-256: \"\(key)\"", path: lockPath)
        }
        let store = Store(root: config.resolve(config.value("paths.data").stringValue! + "/store"))
        let url = store.outputs(key).appendingPathComponent(logName)
        guard let log = try? String(contentsOf: url, encoding: .utf8) else {
            throw PipelineError.missingInput("no training log for train-lora key \(key) of \(name) in the store "
                                             + "(run that revision's train-lora here to make it)", path: url.path)
        }
        return ComparedRun(revision: revision, commit: commit, key: key, log: log,
                           params: lock["train-lora"]?["params"]?.objectValue ?? [:])
    }

    /// What this run's train-lora read otherwise than `own` (this report's run, key `ownKey`), its values, for the
    /// chart's legend: "lora.r 8, train.lr 0.001"; at most `limit` named, then how many more; "the same run" when
    /// the keys are equal.
    public func settingsDiffering(from own: [String: JSONValue], ownKey: String?, limit: Int = 3) -> String {
        if key == ownKey { return "the same run" }
        let keys = Set(params.keys).union(own.keys).filter { params[$0] != own[$0] }.sorted()
        guard !keys.isEmpty else { return "same settings, other inputs" }
        let named = keys.prefix(limit).map { "\($0) \(params[$0].map(Self.short) ?? "unset")" }
        return named.joined(separator: ", ") + (keys.count > limit ? " and \(keys.count - limit) more" : "")
    }

    /// A value as the legend shows it: a string without its quotes.
    static func short(_ value: JSONValue) -> String { value.stringValue ?? value.canonical }
}
