import Failures
import Foundation
import Rouge

/// `score-rouge diff` over several revisions as one table, one row per revision, the way `dvc exp show`
/// lays out a sweep: each system's mean F1 for each ROUGE type, then one column per parameter that differs
/// between any of the revisions, from the sources the two-revision diff reads (the config with its `base:`
/// chain merged, its lock, rouge.json's recorded inputs).
///
/// Run identities are left out unless asked for: the lock's stage keys and output hashes
/// (`stages.<stage>.key`, `stages.<stage>.outputs.*`) and rouge.json's `<stage>.key` inputs. Any change
/// upstream changes them, so in a sweep they add a column of hashes per stage without explaining a row;
/// a note says when they differ, and the two-revision diff lists them.
public struct RougeSweep: Sendable, Equatable {
    public enum Format: String, CaseIterable, Sendable {
        case table, markdown, csv, json
    }

    public enum Cell: Sendable, Equatable {
        case number(Double)
        case text(String)
        case absent
    }

    public struct Column: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case revision
            case rouge(system: String, type: RougeType)
            case parameter(source: String, key: String)
        }

        public var name: String
        public var kind: Kind

        /// ROUGE columns sort highest first (the best run on top); the others ascending.
        public var sortsDescending: Bool {
            if case .rouge = kind { return true }
            return false
        }
    }

    public private(set) var columns: [Column]
    /// One row per revision, its cells in column order.
    public private(set) var rows: [[Cell]]
    /// The column the rows are sorted by; nil: in the order the revisions were given.
    public private(set) var sortedBy: String?
    public var notes: [String]

    public init(_ snapshots: [RevisionSnapshot], includeRunIdentities: Bool = false) {
        var systems: [String] = []
        for snapshot in snapshots {
            for name in snapshot.metrics.systemOrder where !systems.contains(name) { systems.append(name) }
        }
        var columns = [Column(name: "revision", kind: .revision)]
        // By type, then system, so that base and LoRA of one ROUGE type stand side by side.
        for type in RougeType.allCases {
            for system in systems where snapshots.contains(where: { $0.metrics.systems[system]?.rouge[type] != nil }) {
                columns.append(Column(name: "\(system) \(type.rawValue)", kind: .rouge(system: system, type: type)))
            }
        }

        var notes: [String] = []
        var parameters: [(source: String, key: String)] = []
        var hiddenIdentities = false
        let sources = snapshots.map(\.parameterSources)
        for (index, source) in (sources.first ?? []).enumerated() {
            for key in Set(sources.flatMap { $0[index].values.keys }).sorted() {
                guard Set(sources.map { $0[index].values[key] }).count > 1 else { continue }
                if !includeRunIdentities, Self.isRunIdentity(key, source: source.source, snapshot: snapshots[0]) {
                    hiddenIdentities = true
                    continue
                }
                parameters.append((source.source, key))
            }
        }
        let repeated = Dictionary(grouping: parameters, by: \.key).filter { $0.value.count > 1 }.keys
        for p in parameters {
            columns.append(Column(name: repeated.contains(p.key) ? "\(p.source): \(p.key)" : p.key,
                                  kind: .parameter(source: p.source, key: p.key)))
        }

        rows = snapshots.map { snapshot in
            let values = Dictionary(snapshot.parameterSources.map { ($0.source, $0.values) }, uniquingKeysWith: { a, _ in a })
            return columns.map { column -> Cell in
                switch column.kind {
                case .revision: return .text(snapshot.label)
                case .rouge(let system, let type):
                    return snapshot.metrics.systems[system]?.rouge[type].map { .number($0.fmeasure.mean) } ?? .absent
                case .parameter(let source, let key):
                    return values[source]?[key].map(Cell.text) ?? .absent
                }
            }
        }
        self.columns = columns
        if hiddenIdentities {
            notes.append("stage keys or output hashes differ between the revisions (not shown; --keys adds them)")
        }
        if snapshots.contains(where: { $0.metrics.scorer != snapshots[0].metrics.scorer }) {
            notes.append("the scorer settings differ between the revisions (see rouge.json \"scorer\")")
        }
        let counts = snapshots.map { s in s.metrics.systemOrder.first.flatMap { s.metrics.systems[$0]?.n } }
        if Set(counts).count > 1 {
            notes.append("the revisions scored different numbers of examples (n = "
                         + counts.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + ")")
        }
        self.notes = notes
    }

    /// A value that names a run rather than a setting (see the type's comment).
    static func isRunIdentity(_ key: String, source: String, snapshot: RevisionSnapshot) -> Bool {
        if source == RevisionSnapshot.inputsSource { return key.hasSuffix(".key") }
        guard source == snapshot.lockName else { return false }
        let parts = key.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "stages" else { return false }
        return parts[2] == "key" || parts[2].hasPrefix("outputs.")
    }

    /// The rows sorted by the column named `name`: numerically when every value in it is a number,
    /// else as text; ROUGE columns highest first, the others ascending; rows without a value last,
    /// ties in the given order. An unknown name is a usage error listing the columns.
    public func sorted(by name: String) throws(PipelineError) -> RougeSweep {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PipelineError(.usage, "--sort-by: no column \"\(name)\"; the columns are "
                             + columns.map { "\"\($0.name)\"" }.joined(separator: ", "))
        }
        let numbers: [Double?] = rows.map {
            switch $0[index] {
            case .number(let x): return x
            case .text(let t): return Double(t)
            case .absent: return nil
            }
        }
        let numeric = zip(rows, numbers).allSatisfy { $0[index] == .absent || $1 != nil }
        let texts = rows.map { if case .text(let t) = $0[index] { t } else { "" } }
        let descending = columns[index].sortsDescending
        let order = rows.indices.sorted { i, j in
            let absentI = rows[i][index] == .absent, absentJ = rows[j][index] == .absent
            if absentI != absentJ { return absentJ }
            if !absentI {
                if numeric, numbers[i]! != numbers[j]! { return descending ? numbers[i]! > numbers[j]! : numbers[i]! < numbers[j]! }
                if !numeric, texts[i] != texts[j] { return descending ? texts[i] > texts[j] : texts[i] < texts[j] }
            }
            return i < j
        }
        var sorted = self
        sorted.rows = order.map { rows[$0] }
        sorted.sortedBy = name
        return sorted
    }

    public func render(format: Format) -> String {
        switch format {
        case .csv:
            return CSVTable.render([columns.map(\.name)] + rows.map { $0.map(Self.csvText) })
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try! encoder.encode(JSONForm(self)), as: UTF8.self) + "\n"
        case .table, .markdown:
            var t = TextTable(header: columns.map(\.name))
            for row in rows { t.append(row.map(Self.displayText)) }
            var out = "ROUGE F1 (mean) at \(rows.count) revisions"
            if let sortedBy {
                out += ", sorted by \"\(sortedBy)\"" + (columns.first { $0.name == sortedBy }!.sortsDescending ? ", highest first" : "")
            }
            out += "\n\n" + t.render(markdown: format == .markdown) + "\n"
            if !columns.contains(where: { if case .parameter = $0.kind { true } else { false } }) {
                out += "\nNo parameter differs between the revisions.\n"
            }
            for note in notes { out += "\nnote: \(note)" }
            if !notes.isEmpty { out += "\n" }
            return out
        }
    }

    /// Four decimals for a mean, a 64-digit hash cut to 12 (as git abbreviates), "-" for no value.
    static func displayText(_ cell: Cell) -> String {
        switch cell {
        case .number(let x): return Figures.value(x)
        case .text(let t):
            let isHash = t.utf8.count == 64 && t.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            return isHash ? String(t.prefix(12)) : t
        case .absent: return "-"
        }
    }

    /// Every digit of a mean (it reads back to the same Double), the value as written, "" for no value.
    static func csvText(_ cell: Cell) -> String {
        switch cell {
        case .number(let x): return "\(x)"
        case .text(let t): return t
        case .absent: return ""
        }
    }

    /// `{"columns", "notes", "parameter_sources", "rows": [{column: value}], "sort_by"}`.
    struct JSONForm: Encodable {
        var sweep: RougeSweep
        init(_ sweep: RougeSweep) { self.sweep = sweep }

        enum CodingKeys: String, CodingKey {
            case columns, notes, rows
            case parameterSources = "parameter_sources"
            case sortBy = "sort_by"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sweep.columns.map(\.name), forKey: .columns)
            try c.encode(sweep.notes, forKey: .notes)
            var sources: [String: String] = [:]
            for column in sweep.columns { if case .parameter(let source, _) = column.kind { sources[column.name] = source } }
            try c.encode(sources, forKey: .parameterSources)
            try c.encode(sweep.rows.map { Dictionary(uniqueKeysWithValues: zip(sweep.columns.map(\.name), $0)) }, forKey: .rows)
            try c.encode(sweep.sortedBy, forKey: .sortBy)
        }
    }
}

extension RougeSweep.Cell: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let x): try c.encode(x)
        case .text(let t): try c.encode(t)
        case .absent: try c.encodeNil()
        }
    }
}

/// Loading a sweep from git.
extension RougeSweep {
    /// The revisions `score-rouge diff` puts in a sweep (nil: the working tree): those given, or with
    /// fewer than two the two-revision diff's defaults (HEAD, then the working tree); `workingTree` adds
    /// the working tree as the last row.
    public static func revisions(_ given: [String], workingTree: Bool) -> [String?] {
        var revisions: [String?] = given
        if revisions.isEmpty { revisions.append("HEAD") }
        if revisions.count == 1 || (workingTree && !revisions.contains(nil)) { revisions.append(nil) }
        return revisions
    }

    /// The sweep over `revisions` (nil: the working tree), each read as `RougeDiff.snapshot` reads it.
    public static func across(_ revisions: [String?], in directory: URL, files: DiffFiles = DiffFiles(),
                              includeRunIdentities: Bool = false) throws(PipelineError) -> RougeSweep {
        let repository = try GitRepository(containing: directory)
        var snapshots: [RevisionSnapshot] = []
        for revision in revisions { snapshots.append(try RougeDiff.snapshot(of: repository, at: revision, files: files)) }
        return RougeSweep(snapshots, includeRunIdentities: includeRunIdentities)
    }
}
