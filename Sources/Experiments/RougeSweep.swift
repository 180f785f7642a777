import Failures
import Foundation
import Rouge

/// `score-rouge diff` over several revisions as one table, one row per revision, the way `dvc exp show`
/// lays out a sweep: each system's mean F1 for each ROUGE type, then one column per parameter that differs
/// between any of the revisions, under its own name (`lora.r`), holding what each run used (`RunSettings`:
/// the lock's records, `8 (file: 32)` where the config said otherwise; the config's value for keys no stage
/// records).
///
/// Run identities are left out unless asked for: the lock's stage keys and output hashes
/// (`<stage>.key`, `<stage>.outputs.<path>`) and the stage results the scores were computed from
/// (`scored.<stage>.key`). Any change upstream changes them, so in a sweep they add a column of hashes per
/// stage without explaining a row; a note says when they differ, and the two-revision diff lists them.
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
            /// The commit's subject line.
            case subject
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

        if snapshots.contains(where: { $0.subject != nil }) { columns.insert(Column(name: "subject", kind: .subject), at: 1) }

        var notes: [String] = []
        var hiddenIdentities = false
        let settings = snapshots.map(\.settings)
        var addedAtDefault: [String] = []
        for key in Set(settings.flatMap(\.settings.keys)).sorted() {
            let values = settings.map { $0.settings[key] }
            guard Set(values.map { $0?.text }).count > 1, let source = values.compactMap({ $0 }).last?.source else { continue }
            // absent in some runs, today's default in all the others: a note, not a column
            if let present = values.compactMap({ $0 }).first, values.compactMap({ $0 }).allSatisfy({ $0 == present }),
               RunSettings.isAddedAtDefault(key, present, nil) {
                addedAtDefault.append("\(key) \(present.value)")
                continue
            }
            columns.append(Column(name: key, kind: .parameter(source: snapshots[0].sourceName(source), key: key)))
        }
        for key in Set(settings.flatMap(\.identities.keys)).sorted() where Set(settings.map { $0.identities[key] }).count > 1 {
            if includeRunIdentities {
                columns.append(Column(name: key, kind: .parameter(source: RevisionSnapshot.identitySource, key: key)))
            } else {
                hiddenIdentities = true
            }
        }

        rows = snapshots.map { snapshot in
            columns.map { column -> Cell in
                switch column.kind {
                case .revision: return .text(snapshot.label)
                case .subject: return snapshot.subject.map(Cell.text) ?? .absent
                case .rouge(let system, let type):
                    return snapshot.metrics.systems[system]?.rouge[type].map { .number($0.fmeasure.mean) } ?? .absent
                case .parameter(let source, let key):
                    let value = source == RevisionSnapshot.identitySource
                        ? snapshot.settings.identities[key] : snapshot.settings.settings[key]?.text
                    return value.map(Cell.text) ?? .absent
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
        if !addedAtDefault.isEmpty {
            notes.append("recorded by some revisions only, at today's default (added since): " + addedAtDefault.joined(separator: ", "))
        }
        notes += snapshots.flatMap(\.settings.notes)
        self.notes = notes
    }

    /// The rows sorted by the column named `name`: numerically when every value in it is a number,
    /// else as text; ROUGE columns highest first, the others ascending; rows without a value last,
    /// ties in the given order. A name may be the end of one column's name after a dot or a space (`lr` for
    /// `train.lr`, `lora rouge1`'s `rouge1` when only one system has it); an unknown or ambiguous name is a
    /// usage error listing the columns it could mean.
    public func sorted(by name: String) throws(PipelineError) -> RougeSweep {
        let index = try columnIndex(name)
        let name = columns[index].name
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

    /// The column `name` names: its whole name, else the only one whose name ends with `.name` or ` name`.
    func columnIndex(_ name: String) throws(PipelineError) -> Int {
        if let index = columns.firstIndex(where: { $0.name == name }) { return index }
        let candidates = columns.indices.filter { columns[$0].name.hasSuffix("." + name) || columns[$0].name.hasSuffix(" " + name) }
        if candidates.count == 1 { return candidates[0] }
        let listed = (candidates.isEmpty ? Array(columns.indices) : candidates).map { "\"\(columns[$0].name)\"" }.joined(separator: ", ")
        throw PipelineError(.usage, candidates.isEmpty ? "--sort-by: no column \"\(name)\"; the columns are \(listed)"
                                                       : "--sort-by: \"\(name)\" could mean \(listed); give the whole name")
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
            for row in rows {
                t.append(zip(columns, row).map { column, cell in
                    column.kind == .subject ? Self.displayText(cell).map { RunSettings.shortened($0, to: 40) }! : Self.displayText(cell)!
                })
            }
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

    /// Four decimals for a mean, a value as `RunSettings.display` shows it (long numbers rounded, hashes cut
    /// to 12), "-" for no value.
    static func displayText(_ cell: Cell) -> String? {
        switch cell {
        case .number(let x): return Figures.value(x)
        case .text(let t): return RunSettings.display(t)
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
