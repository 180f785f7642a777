import Failures
import Foundation
import Pipeline
import Rouge

/// What `score-rouge diff` reads at one revision.
public struct RevisionSnapshot: Sendable {
    /// How the revision is shown, e.g. "HEAD (1a2b3c4)" or "working tree".
    public var label: String
    public var metrics: RougeMetrics
    /// System -> per-example scores in file order, when `rouge-per-example.jsonl` exists.
    public var perExample: [String: [ScoredExample]]?
    /// What the run used, by parameter (the lock's records, the config file's values beside them).
    public var settings: RunSettings
    /// The config's parameters as the file sets them, its `base:` chain merged; nil when the file is absent.
    public var configParameters: [String: String]?
    /// The names of the config and lock read (shown as the source of a changed parameter).
    public var configName = BuiltInConfiguration.fileName, lockName = LockFile.path(forConfig: BuiltInConfiguration.fileName)
    /// The revision as given, its commit and the commit's subject line; nil for the working tree.
    public var revision: String?, commit: String?, subject: String?

    public init(label: String, metrics: RougeMetrics, perExample: [String: [ScoredExample]]? = nil,
                settings: RunSettings = RunSettings(), configParameters: [String: String]? = nil) {
        self.label = label
        self.metrics = metrics
        self.perExample = perExample
        self.settings = settings
        self.configParameters = configParameters
    }

    /// Where a setting's value comes from, as a diff names it: the lock (what the run used) or the config.
    func sourceName(_ source: RunSettings.Setting.Source) -> String { source == .run ? lockName : configName }

    /// The source of stage keys, output hashes and the metrics' recorded inputs in a diff.
    public static let identitySource = "run identity"
}

/// ROUGE at two revisions side by side: per system and type the mean F1 at A and B, the
/// difference with a paired-bootstrap interval when both revisions have per-example scores
/// for the same examples, and the parameters that differ (pipeline.yaml, pipeline.lock, and
/// the metrics' recorded `inputs`), which is what explains a change.
public struct RougeDiff: Encodable, Equatable, Sendable {
    public struct Row: Codable, Equatable, Sendable {
        public var system: String
        public var rouge: RougeType
        public var a: Double?
        public var b: Double?
        public var delta: Double?
        /// Nil when a side lacks per-example scores or the two sides scored different examples.
        public var paired: PairedDifference?
        /// Number of examples the paired interval is over.
        public var pairedN: Int?

        enum CodingKeys: String, CodingKey {
            case system, rouge, a, b, delta, paired
            case pairedN = "paired_n"
        }
    }

    public struct ParameterChange: Codable, Equatable, Sendable {
        /// The lock (e.g. "pipeline.lock": what the run used), the config (e.g. "pipeline.yaml": a key no
        /// stage records) or "run identity" (a stage key, an output hash, an input the scores were computed from).
        public var source: String
        /// The parameter's name (`lora.r`), or an identity's (`train-lora.key`, `scored.train-lora.key`).
        public var key: String
        /// Nil when the key is absent at that revision; `8 (file: 32)` when the run used 8 and the config says 32.
        public var a: String?
        public var b: String?
    }

    public var revisionA: String
    public var revisionB: String
    /// The commits' subject lines (nil for the working tree).
    public var subjectA: String?, subjectB: String?
    public var rows: [Row]
    public var parameterChanges: [ParameterChange]
    /// Every note, one sentence each (the old diff's page and its JSON show them all).
    public var notes: [String] { scoreNotes + parameterNotes + runNotes }
    /// About the scores (missing per-example files, other examples, other scorer settings): `metrics diff`.
    public var scoreNotes: [String] = []
    /// About the parameters (those recorded by one revision only): `params diff`.
    public var parameterNotes: [String] = []
    /// About a run's settings against its scores (a stage rerun since, mixed values): both verbs.
    public var runNotes: [String] = []

    enum CodingKeys: String, CodingKey {
        case rows, notes
        case revisionA = "revision_a"
        case revisionB = "revision_b"
        case subjectA = "subject_a"
        case subjectB = "subject_b"
        case parameterChanges = "parameter_changes"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(notes, forKey: .notes)
        try c.encode(revisionA, forKey: .revisionA)
        try c.encode(revisionB, forKey: .revisionB)
        try c.encodeIfPresent(subjectA, forKey: .subjectA)
        try c.encodeIfPresent(subjectB, forKey: .subjectB)
        try c.encode(parameterChanges, forKey: .parameterChanges)
    }

    /// `bootstrap` nil: no paired intervals (what `params diff` shows needs none, and they cost resamples).
    public init(a: RevisionSnapshot, b: RevisionSnapshot,
                bootstrap: BootstrapConfiguration? = BootstrapConfiguration()) throws(PipelineError) {
        let bootstrap = try bootstrap?.validated()
        revisionA = a.label
        revisionB = b.label
        var notes: [String] = []
        var systems = a.metrics.systemOrder
        for name in b.metrics.systemOrder where !systems.contains(name) { systems.append(name) }
        if a.perExample == nil { notes.append("no per-example scores at \(a.label): no paired intervals") }
        if b.perExample == nil { notes.append("no per-example scores at \(b.label): no paired intervals") }
        var rows: [Row] = []
        for system in systems {
            let columnsA = a.perExample?[system], columnsB = b.perExample?[system]
            var aligned: [(ExampleScores, ExampleScores)]? = nil
            if let columnsA, let columnsB {
                let byID = Dictionary(columnsB.map { ($0.id, $0.scores) }, uniquingKeysWith: { first, _ in first })
                if columnsA.count == columnsB.count, columnsA.allSatisfy({ byID[$0.id] != nil }) {
                    aligned = columnsA.map { ($0.scores, byID[$0.id]!) }
                } else {
                    notes.append("\(system): the revisions scored different examples: no paired intervals")
                }
            }
            for type in RougeType.allCases {
                let meanA = a.metrics.systems[system]?.rouge[type]?.fmeasure.mean
                let meanB = b.metrics.systems[system]?.rouge[type]?.fmeasure.mean
                var row = Row(system: system, rouge: type, a: meanA, b: meanB, delta: nil, paired: nil, pairedN: nil)
                if let meanA, let meanB { row.delta = meanB - meanA }
                if let aligned, !aligned.isEmpty, let bootstrap {
                    row.paired = RougeEvaluation.pairedDifference(
                        baseline: aligned.map { $0.0[type].fmeasure }, candidate: aligned.map { $0.1[type].fmeasure },
                        configuration: bootstrap)
                    row.pairedN = aligned.count
                }
                rows.append(row)
            }
        }
        self.rows = rows
        parameterChanges = Self.changes(a, b)
        if a.metrics.scorer != b.metrics.scorer {
            notes.append("the scorer settings differ between the revisions (see rouge.json \"scorer\")")
        }
        let added = Set(a.settings.settings.keys).symmetricDifference(b.settings.settings.keys).sorted()
            .filter { RunSettings.isAddedAtDefault($0, a.settings.settings[$0], b.settings.settings[$0]) }
        if !added.isEmpty {
            parameterNotes.append("recorded by one revision only, at today's default (added since): "
                         + added.map { "\($0) \((a.settings.settings[$0] ?? b.settings.settings[$0])!.value)" }.joined(separator: ", "))
        }
        runNotes = a.settings.notes + b.settings.notes
        subjectA = a.subject
        subjectB = b.subject
        scoreNotes = notes
    }

    /// The settings that differ (by name), then the stage keys, output hashes and scored inputs that do.
    static func changes(_ a: RevisionSnapshot, _ b: RevisionSnapshot) -> [ParameterChange] {
        var changes: [ParameterChange] = []
        for key in Set(a.settings.settings.keys).union(b.settings.settings.keys).sorted() {
            let sa = a.settings.settings[key], sb = b.settings.settings[key]
            guard sa != sb, let source = (sb ?? sa)?.source, !RunSettings.isAddedAtDefault(key, sa, sb) else { continue }
            changes.append(ParameterChange(source: b.sourceName(source), key: key, a: sa?.text, b: sb?.text))
        }
        for key in Set(a.settings.identities.keys).union(b.settings.identities.keys).sorted()
        where a.settings.identities[key] != b.settings.identities[key] {
            changes.append(ParameterChange(source: RevisionSnapshot.identitySource, key: key,
                                           a: a.settings.identities[key], b: b.settings.identities[key]))
        }
        return changes
    }

    /// Table and Markdown list changed stage keys and output hashes only when this is set (`score-rouge diff
    /// --keys`), as the sweep table does: they change with every setting and hid the one that did. JSON has all.
    public var showsRunIdentities = false

    /// A change that names a run rather than a setting: a stage's key, an output hash, a scored input.
    static func isRunIdentity(_ change: ParameterChange) -> Bool { change.source == RevisionSnapshot.identitySource }

    /// The two revisions, as every layout names them first.
    func revisionLines(markdown: Bool) -> String {
        var out = ""
        for (name, label, subject) in [("A", revisionA, subjectA), ("B", revisionB, subjectB)] {
            out += (markdown ? "- " : "") + "\(name) = \(label)" + (subject.map { ": \(RunSettings.shortened($0, to: 72))" } ?? "") + "\n"
        }
        return out
    }

    /// The JSON of one verb: the revisions, then `fields`.
    private func json(_ fields: [String: Encodable]) -> String {
        struct AnyEncodable: Encodable {
            let value: Encodable
            func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
        }
        var object: [String: AnyEncodable] = ["revision_a": AnyEncodable(value: revisionA), "revision_b": AnyEncodable(value: revisionB)]
        if let subjectA { object["subject_a"] = AnyEncodable(value: subjectA) }
        if let subjectB { object["subject_b"] = AnyEncodable(value: subjectB) }
        for (key, value) in fields { object[key] = AnyEncodable(value: value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(object), as: UTF8.self) + "\n"
    }

    private static func noteLines(_ notes: [String]) -> String {
        notes.isEmpty ? "" : "\n" + notes.map { "note: \($0)" }.joined(separator: "\n") + "\n"
    }

    /// `score-rouge metrics diff`: each system's mean F1 per ROUGE type at A and B, B - A, and the paired interval.
    public func renderMetrics(format: RougeSweep.Format) -> String {
        let notes = scoreNotes + runNotes
        switch format {
        case .json:
            return json(["rows": rows, "notes": notes])
        case .csv:
            let header = ["system", "rouge", "a", "b", "b_minus_a", "paired_low", "paired_high", "share_at_or_below_zero", "paired_n"]
            // every digit (each field reads back to the same Double), "" for none
            func field(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
            var records = [header]
            for row in rows {
                let numbers: [Double?] = [row.a, row.b, row.delta, row.paired?.low, row.paired?.high, row.paired?.shareAtOrBelowZero]
                records.append([row.system, row.rouge.rawValue] + numbers.map(field) + [row.pairedN.map(String.init) ?? ""])
            }
            return CSVTable.render(records)
        case .table, .markdown:
            return "ROUGE F1\n" + revisionLines(markdown: format == .markdown) + "\n"
                + metricsTable.render(markdown: format == .markdown) + "\n" + Self.noteLines(notes)
        }
    }

    /// `score-rouge params diff`: the parameters each run used that differ (stage keys and output hashes with --keys).
    public func renderParameters(format: RougeSweep.Format) -> String {
        let notes = parameterNotes + runNotes
        let shown = showsRunIdentities ? parameterChanges : parameterChanges.filter { !Self.isRunIdentity($0) }
        switch format {
        case .json:
            return json(["parameter_changes": parameterChanges, "notes": notes])
        case .csv:
            return CSVTable.render([["source", "parameter", "a", "b"]] + shown.map { [$0.source, $0.key, $0.a ?? "", $0.b ?? ""] })
        case .table, .markdown:
            return "Parameters\n" + revisionLines(markdown: format == .markdown) + "\n"
                + parameterLines(shown, markdown: format == .markdown) + Self.noteLines(notes)
        }
    }

    var metricsTable: TextTable {
        var t = TextTable(header: ["system", "ROUGE", "A", "B", "B - A", "paired CI", "share <= 0"])
        for row in rows {
            t.append([row.system, row.rouge.rawValue,
                      row.a.map(Figures.value) ?? "-", row.b.map(Figures.value) ?? "-",
                      row.delta.map(Figures.signed) ?? "-",
                      row.paired.map { Figures.interval($0.low, $0.high, signed: true) } ?? "-",
                      row.paired.map { Figures.share($0.shareAtOrBelowZero) } ?? "-"])
        }
        return t
    }

    /// The changed parameters' table (or the sentence that none changed), and the count of hidden run identities.
    func parameterLines(_ shown: [ParameterChange], markdown: Bool) -> String {
        var out = ""
        if shown.isEmpty {
            out += "No parameter differs between the revisions.\n"
        } else {
            var p = TextTable(header: ["source", "parameter", "A", "B"])
            for c in shown {
                p.append([c.source, c.key, c.a.map(RunSettings.display) ?? "(absent)", c.b.map(RunSettings.display) ?? "(absent)"])
            }
            out += "Parameters that differ (the values each run used, from the lock; \"(file: …)\" where the config said otherwise):\n\n"
            out += p.render(markdown: markdown) + "\n"
        }
        let hidden = parameterChanges.count - shown.count
        if hidden > 0 { out += "(\(hidden) stage keys and output hashes differ too: --keys lists them)\n" }
        return out
    }

    /// The layout of the deprecated `score-rouge diff`: scores and parameters in one page.
    public func render(format: OutputFormat) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
        case .table, .markdown:
            let markdown = format == .markdown
            let shown = showsRunIdentities ? parameterChanges : parameterChanges.filter { !Self.isRunIdentity($0) }
            return "ROUGE F1\n" + revisionLines(markdown: markdown) + "\n" + metricsTable.render(markdown: markdown) + "\n"
                + Self.noteLines(notes) + "\n" + parameterLines(shown, markdown: markdown)
        }
    }
}

/// Which files a diff reads at each revision: one pipeline config, its lock, and its metrics directory.
public struct DiffFiles: Sendable {
    public var metrics: String
    public var perExample: String
    public var pipeline: String
    public var lock: String

    /// `config` is a pipeline YAML (its lock: `LockFile.path(forConfig:)`); `metricsDirectory` is that
    /// config's `paths.metrics` (e.g. `metrics/demo` for pipeline.demo.yaml).
    public init(config: String = BuiltInConfiguration.fileName, metricsDirectory: String = "metrics") {
        metrics = metricsDirectory + "/rouge.json"
        perExample = metricsDirectory + "/rouge-per-example.jsonl"
        pipeline = config
        lock = LockFile.path(forConfig: config)
    }
}

extension DiffFiles {
    /// The values `config` sets in the working tree, its `base:` chain merged, as written (no schema: a diff
    /// reads configs of any age); empty when the working tree has no such file.
    public static func configuredValues(config: String, in repository: GitRepository) throws(PipelineError) -> [String: String] {
        func text(_ path: String) throws(PipelineError) -> String? {
            try repository.file(path, at: nil).map { String(decoding: $0, as: UTF8.self) }
        }
        guard let yaml = try text(config) else { return [:] }
        return try ParameterFlattening.flattenConfig(yaml: yaml, path: config, revision: "the working tree", read: text)
    }

    /// The `paths.metrics` that `config` sets in the working tree (its `base:` chain merged, read as the diff
    /// reads configs: without today's schema), relative to the repository root; "metrics" when the working
    /// tree has no such file or it sets none. `score-rouge diff --config` uses it when `--metrics` is not given.
    public static func configuredMetrics(config: String, in repository: GitRepository) throws(PipelineError) -> String {
        let values = try configuredValues(config: config, in: repository)
        guard var metrics = values["paths.metrics"], !metrics.isEmpty else { return "metrics" }
        if metrics.count >= 2, let quote = metrics.first, "\"'".contains(quote), metrics.last == quote {
            metrics = String(metrics.dropFirst().dropLast())
        }
        // relative to the config's folder, as PipelineConfig resolves it
        let folder = (config as NSString).deletingLastPathComponent
        return metrics.hasPrefix("/") || folder.isEmpty ? metrics : folder + "/" + metrics
    }
}

/// Loading both sides of a diff from git.
extension RougeDiff {
    public static let metricsPath = DiffFiles().metrics
    public static let perExamplePath = DiffFiles().perExample

    /// Reads the metrics, per-example scores, pipeline config and lock of `revision`
    /// (nil: the working tree). A revision without metrics is an error naming it.
    public static func snapshot(of repository: GitRepository, at revision: String?,
                                files: DiffFiles = DiffFiles()) throws(PipelineError) -> RevisionSnapshot {
        let commit = try revision.map { (r) throws(PipelineError) in try repository.commit(r) }
        let label = revision.map { "\($0) (\(commit!.prefix(12)))" } ?? "working tree"
        guard let metricsData = try repository.file(files.metrics, at: revision) else {
            throw PipelineError(.missingInput, "\(label) has no \(files.metrics)", path: repository.root.path)
        }
        let metrics = try RougeReport.decodeMetrics(metricsData, path: "\(files.metrics) at \(label)")
        let perExample = try repository.file(files.perExample, at: revision).map { (d) throws(PipelineError) in
            try RougeReport.decodePerExample(d, path: "\(files.perExample) at \(label)")
        }
        func text(_ path: String) throws(PipelineError) -> String? {
            try repository.file(path, at: revision).map { String(decoding: $0, as: UTF8.self) }
        }
        let config = try text(files.pipeline).map { (t) throws(PipelineError) in
            try ParameterFlattening.flattenConfig(yaml: t, path: files.pipeline, revision: label, read: text)
        }
        let lock = try repository.file(files.lock, at: revision).map { (d) throws(PipelineError) in
            try LockFile.stages(in: d, path: "\(files.lock) at \(label)")
        }
        let settings = RunSettings(config: config ?? [:], lock: lock, inputs: metrics.inputs, label: label)
        var snapshot = RevisionSnapshot(label: label, metrics: metrics, perExample: perExample,
                                        settings: settings, configParameters: config)
        snapshot.configName = files.pipeline
        snapshot.lockName = files.lock
        snapshot.revision = revision
        snapshot.commit = commit
        snapshot.subject = try commit.map { (c) throws(PipelineError) in try repository.subject(c) }
        return snapshot
    }

    /// `score-rouge diff [A [B]]`: A defaults to HEAD, B to the working tree.
    public static func between(_ revisionA: String?, _ revisionB: String?, in directory: URL, files: DiffFiles = DiffFiles(),
                               bootstrap: BootstrapConfiguration? = BootstrapConfiguration()) throws(PipelineError) -> RougeDiff {
        let repository = try GitRepository(containing: directory)
        let a = try snapshot(of: repository, at: revisionA ?? "HEAD", files: files)
        let b = try snapshot(of: repository, at: revisionB, files: files)
        return try RougeDiff(a: a, b: b, bootstrap: bootstrap)
    }
}
