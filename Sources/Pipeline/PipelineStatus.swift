import Failures
import Foundation
import JSON

/// What a rerun of the pipeline would do, without running it (as `dvc status` tells): for each stage the lock
/// records, whether it is up to date, stale and why (a parameter the configuration now sets otherwise, an input
/// that changed, another run's files at its stable paths, a stale stage upstream), or never run.
///
/// Read from the lock, each stage's manifest beside its outputs (the inputs it hashed into its key) and the
/// files themselves. A code change that alters a stage's key (its format version) is seen only when it runs.
public struct PipelineStatus: Sendable {
    public struct Stage: Sendable, Equatable {
        public enum State: String, Sendable { case upToDate = "up to date", stale, missing = "never run" }
        public var instance: String
        public var state: State
        /// The key the lock records.
        public var key: String?
        /// The store holds that key's entry, intact: a rerun exposes it without computing.
        public var cached: Bool
        public var reasons: [String]
    }

    public var stages: [Stage]
    public var configName: String

    /// `instances`: the stages to look at, in run order; `directory`: paths under it are shown relative to it.
    public init(config: PipelineConfig, instances: [String] = PipelineStage.instances, directory: URL? = nil) {
        configName = config.name
        if let prefix = directory.map({ $0.standardizedFileURL.path + "/" }), configName.hasPrefix(prefix) {
            configName.removeFirst(prefix.count)
        }
        let lock = LockFile(url: config.lockURL).read()
        let store = Store(root: config.resolve(config.value("paths.data").stringValue! + "/store"))
        // Which stage's stable outputs each path is, to follow an input back to the stage that made it.
        let producers = LockedInputs(config: config, store: store).producers
        var stages: [Stage] = []
        var stale: Set<String> = []
        for instance in instances {
            guard let record = lock[instance], let key = record["key"]?.stringValue else {
                stages.append(Stage(instance: instance, state: .missing, key: nil, cached: false,
                                    reasons: ["no record in \(config.lockURL.lastPathComponent)"]))
                stale.insert(instance)
                continue
            }
            var reasons: [String] = []
            for (name, ran) in (record["params"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let now = config.values[name] else {
                    reasons.append("\(name) is no longer a parameter")
                    continue
                }
                if now != ran {
                    let from = config.origins[name] == PipelineConfig.overrideOrigin ? "--set" : "the configuration"
                    reasons.append("\(name): ran with \(ran.canonical), \(from) now says \(now.canonical)")
                }
            }
            let outputs = record["outputs"]?.objectValue ?? [:]
            let manifestURL = outputs.keys.sorted().first.map {
                config.resolve($0).deletingLastPathComponent().appendingPathComponent("\(instance).manifest.json")
            }
            let manifest = manifestURL.flatMap { try? Data(contentsOf: $0) }.flatMap { try? JSONValue.parse($0) }
            if let manifest {
                if let exposed = manifest["key"]?.stringValue, exposed != key {
                    reasons.append("the files at its paths are another run's (\(exposed.prefix(12))), not the lock's")
                }
                let hashes = manifest["inputs"]?.objectValue ?? [:]
                for (role, path) in (manifest["input_paths"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard let path = path.stringValue else { continue }
                    let url = config.resolve(path)
                    if let upstream = producers[url.standardizedFileURL.path]?.instance, upstream != instance, stale.contains(upstream) {
                        reasons.append("upstream \(upstream) is \(lock[upstream] == nil ? "never run" : "stale")")
                    } else if let hash = try? store.hashCache.sha256(of: url) {
                        if hash != hashes[role]?.stringValue { reasons.append("input \(path) changed") }
                    } else {
                        reasons.append("input \(path) is missing")
                    }
                }
            } else if !outputs.isEmpty {
                reasons.append("no manifest beside its outputs")
            }
            for (path, sha) in outputs.sorted(by: { $0.key < $1.key }) {
                let url = config.resolve(path)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    reasons.append("output \(path) is missing")
                    continue
                }
                if (try? store.hashCache.sha256(of: url)) != sha.stringValue { reasons.append("output \(path) changed") }
            }
            var unique: [String] = []
            for r in reasons where !unique.contains(r) { unique.append(r) }
            if !unique.isEmpty { stale.insert(instance) }
            stages.append(Stage(instance: instance, state: unique.isEmpty ? .upToDate : .stale, key: key,
                                cached: store.verifiedEntry(key) != nil, reasons: unique))
        }
        self.stages = stages
    }

    /// One row per stage, then one verdict line.
    public func render() -> String {
        var rows = [["stage", "state", "key", "cached", "why"]]
        for s in stages {
            rows.append([s.instance, s.state.rawValue, s.key.map { String($0.prefix(12)) } ?? "-",
                         s.key == nil ? "-" : (s.cached ? "yes" : "no"), s.reasons.joined(separator: "; ")])
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max()! }
        var out = ""
        for row in rows {
            let line = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "   ")
                + "   " + row[4]
            out += line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        let behind = stages.filter { $0.state != .upToDate }.map(\.instance)
        out += "\n" + (behind.isEmpty
            ? "status: every stage of \(configName) is up to date\n"
            : "status: \(behind.count) of \(stages.count) stages of \(configName) would rerun: \(behind.joined(separator: ", "))\n")
        return out
    }
}
