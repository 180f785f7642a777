import Failures
import Foundation
import JSON
import Pipeline

/// The settings of one run as a diff or a sweep compares them, one entry per parameter under its own
/// name (`lora.r`, `train.lr`): the value the run used, which is the lock's record of what each stage
/// read, with the config file's value beside it where that differs (a `--set`, or an edit since the run);
/// for a key no stage records (paths, the corpus archive), the file's value.
///
/// Lists and mappings are one value (`[q, v]`, `{q: 8}`): split into `[0]`, `[1]` columns, a q,v baseline
/// against a v-only run read as "v only" changed. Stage keys and output hashes are `identities`, shown
/// only on request, since any upstream change changes them.
public struct RunSettings: Sendable, Equatable {
    public struct Setting: Sendable, Equatable {
        public enum Source: String, Sendable { case run, file }

        /// What the run used, or the file's value for a key no stage recorded. When stages recorded
        /// different values (one rerun alone with other settings), each with its stages.
        public var value: String
        public var source: Source
        /// The config file's value when the run used another; nil when they agree or the file has none.
        public var file: String?
        /// Stages recorded different values.
        public var mixed = false

        /// The value, and the file's value after it when they differ: `8 (file: 32)`.
        public var text: String { file.map { "\(value) (file: \($0))" } ?? value }
    }

    public var settings: [String: Setting] = [:]
    /// Stage keys (`train-lora.key`), output hashes (`train-lora.outputs.<path>`) and the stage results
    /// the metrics were computed from (`scored.train-lora.key`).
    public var identities: [String: String] = [:]
    /// What does not hold together in this run: scores of other stage results than the lock's, mixed stages.
    public var notes: [String] = []

    public init() {}

    /// `config`: the config's values by parameter (`ParameterFlattening.flattenConfig`); `lock`: the lock's stage
    /// records (`LockFile.stages`), nil when absent; `inputs`: rouge.json's recorded inputs; `label` names the run in notes.
    public init(config: [String: String], lock: [String: JSONValue]?, inputs: [String: String], label: String) {
        var recorded: [String: [(stage: String, value: String)]] = [:]
        var keys: [String: String] = [:]
        for (stage, record) in lock ?? [:] {
            for (key, value) in record["params"]?.objectValue ?? [:] {
                recorded[key, default: []].append((stage, ParameterFlattening.written(value)))
            }
            if let key = record["key"]?.stringValue {
                keys[stage] = key
                identities["\(stage).key"] = key
            }
            for (path, hash) in record["outputs"]?.objectValue ?? [:] {
                identities["\(stage).outputs.\(path)"] = ParameterFlattening.written(hash)
            }
            // kept.metric repeats train.metric_for_best_model, which the parameters show.
            for (name, value) in Self.summaryEntries(record["summary"]) where name != "kept.metric" {
                recorded[Self.summaryName(name, stage: stage), default: []].append((stage, value))
            }
        }
        var mixed: [String] = []
        for (key, values) in recorded {
            var setting: Setting
            let distinct = values.reduce(into: [String]()) { if !$0.contains($1.value) { $0.append($1.value) } }
            if distinct.count == 1 {
                setting = Setting(value: distinct[0], source: .run)
            } else {
                mixed.append(key)
                let described = distinct.map { v in (v, values.filter { $0.value == v }.map(\.stage).sorted()) }
                    .sorted { $0.1.lexicographicallyPrecedes($1.1) }
                setting = Setting(value: described.map { "\($0.0) (\($0.1.joined(separator: ", ")))" }.joined(separator: " | "),
                                  source: .run, mixed: true)
            }
            if let inFile = config[key], setting.mixed || !Self.sameValue(inFile, distinct[0]) { setting.file = inFile }
            settings[key] = setting
        }
        for (key, value) in config where settings[key] == nil { settings[key] = Setting(value: value, source: .file) }

        for (name, key) in inputs { identities["scored.\(name)"] = key }
        var stale: [String] = []
        for (name, key) in inputs.sorted(by: { $0.key < $1.key }) where name.hasSuffix(".key") {
            let stage = String(name.dropLast(4))
            if let now = keys[stage], now != key { stale.append("\(stage) \(key.prefix(12)) (the lock records \(now.prefix(12)))") }
        }
        if !stale.isEmpty {
            notes.append("\(label): the scores were computed from " + stale.joined(separator: ", ")
                         + ": a stage was rerun since, so these scores do not belong to these settings (rerun score-rouge)")
        }
        if !mixed.isEmpty {
            notes.append("\(label): the stages recorded different values of " + mixed.sorted().joined(separator: ", ")
                         + " (a stage was rerun alone with other settings)")
        }
    }

    /// A value as a table shows it: a number written with more than six significant digits rounded to five
    /// (`1.145500659942627` -> `1.1455`), a 64-digit hash cut to 12 as git abbreviates; CSV and JSON keep all.
    public static func display(_ text: String) -> String {
        if LockedInputs.isKey(text) {
            return String(text.prefix(12))
        }
        var result = ""
        var rest = Substring(text)
        // each number in the text, so that "8 (file: 32)" and mixed values are rounded too
        while let start = rest.firstIndex(where: { $0.isNumber || $0 == "-" || $0 == "." }) {
            result += rest[..<start]
            let end = rest[start...].firstIndex(where: { !($0.isNumber || "-+.eE".contains($0)) }) ?? rest.endIndex
            let token = rest[start..<end]
            let digits = token.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber).drop { $0 == "0" }
            if digits.count > 6, token.contains("."), let x = Double(token) {
                result += String(format: "%.5g", x)
            } else {
                result += token
            }
            rest = rest[end...]
        }
        return result + rest
    }

    /// `text` cut to `limit` characters, with an ellipsis when cut.
    public static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The lock's `summary` entries as (dotted path, value), e.g. `kept.step`.
    static func summaryEntries(_ summary: JSONValue?) -> [(String, String)] {
        guard let object = summary?.objectValue else { return [] }
        var out: [(String, String)] = []
        for (name, value) in object {
            if value.objectValue != nil {
                out += summaryEntries(value).map { ("\(name).\($0.0)", $0.1) }
            } else {
                out.append((name, ParameterFlattening.written(value)))
            }
        }
        return out
    }

    /// Short names for what train-lora's summary records about the adapter it published.
    static func summaryName(_ path: String, stage: String) -> String {
        switch path {
        case "kept.step": return "kept_step"
        case "kept.validation_loss": return "val_loss"
        case "kept.stopped_early_at_step": return "stopped_early_at_step"
        case "kept.rule": return "\(stage).kept.rule"
        // the generated ROUGE that chose the step (train.metric_for_best_model): val_rouge1 beside val_loss
        case let p where p.hasPrefix("kept.validation_"): return "val_" + p.dropFirst("kept.validation_".count)
        default: return "\(stage).\(path)"
        }
    }

    /// Today's defaults (`pipeline.yaml` as built in), as settings are written (a string without quotes).
    static let defaults: [String: String] = {
        guard let config = try? PipelineConfig.builtIn(folder: URL(fileURLWithPath: "/")) else { return [:] }
        return config.values.mapValues { $0.stringValue ?? $0.canonical }
    }()

    /// A parameter one run has not recorded at all and the other ran at today's default: added since, with the
    /// behaviour the older run had (the project adds a parameter at the value that keeps outputs unchanged). Diffs
    /// list these in one note instead of a row each.
    static func isAddedAtDefault(_ key: String, _ a: Setting?, _ b: Setting?) -> Bool {
        guard let present = a ?? b, a == nil || b == nil, present.file == nil, !present.mixed,
              let value = defaults[key] else { return false }
        return sameValue(present.value, value)
    }

    /// Equal as written, or as numbers (`5e-3` in the file is the lock's `0.005`).
    static func sameValue(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = Double(a), let y = Double(b) else { return false }
        return x == y
    }
}
