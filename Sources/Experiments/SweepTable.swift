import Failures
import Foundation
import JSON
import Rouge

/// A sweep's runs side by side, made from their records alone (`score-rouge runs show --sweep FILE`): each run's
/// cost (trainable parameters, adapter bytes, training time and steps per second, peak memory) beside its fine-tuned
/// model's ROUGE F1, its gain over the base model, and its difference from the baseline run with a paired bootstrap
/// interval over the same test examples (the records' per-example F1, the records' bootstrap settings).
public struct SweepTable: Sendable {
    public struct Row: Sendable {
        public let run, method: String
        public let trainable, adapterBytes: Int?
        public let trainSeconds, stepsPerSecond: Double?
        public let peakRSSBytes: Int?
        /// The fine-tuned model's mean F1 and interval, and its paired gain over the base model, per type.
        public let rouge: [RougeType: (mean: Double, low: Double, high: Double)]
        public let overBase: [RougeType: (delta: Double, low: Double, high: Double)]
        /// rouge1 against the baseline run, paired over the same examples (nil: the baseline row, or other examples).
        public let againstBaseline: (delta: Double, low: Double, high: Double)?
    }

    public let sweep, baseline: String
    public private(set) var rows: [Row]
    public private(set) var sortedBy: String?
    public var notes: [String] = []

    public init(sweep: Sweep, records: [SweepRecord], baseline: String? = nil) throws {
        let baselineName = baseline ?? sweep.baseline
        self.sweep = sweep.name
        self.baseline = baselineName
        guard !records.isEmpty else { throw PipelineError.missingInput("sweep \(sweep.name) has no run records yet: run make sweep first") }
        let base = records.first { $0.run == baselineName }
        var notes: [String] = []
        if base == nil { notes.append("the baseline run \"\(baselineName)\" has no record yet: no paired column") }
        func f1(_ r: SweepRecord, _ type: RougeType) -> [Double] {
            r.json["per_example_f1"]?[type.rawValue]?.arrayValue?.compactMap(\.doubleValue) ?? []
        }
        func ids(_ r: SweepRecord) -> [String] { r.json["per_example_f1"]?["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        rows = records.map { r in
            var rouge: [RougeType: (Double, Double, Double)] = [:], overBase: [RougeType: (Double, Double, Double)] = [:]
            for type in [RougeType.rouge1, .rouge2, .rougeL] {
                if let s = r.json["rouge"]?[type.rawValue] {
                    if let m = s["lora"]?["mean"]?.doubleValue, let l = s["lora"]?["low"]?.doubleValue, let h = s["lora"]?["high"]?.doubleValue {
                        rouge[type] = (m, l, h)
                    }
                    if let d = s["lora_minus_base"]?["delta"]?.doubleValue, let l = s["lora_minus_base"]?["low"]?.doubleValue,
                       let h = s["lora_minus_base"]?["high"]?.doubleValue {
                        overBase[type] = (d, l, h)
                    }
                }
            }
            var against: (Double, Double, Double)?
            if let base, base.run != r.run, ids(base) == ids(r), !ids(r).isEmpty {
                let b = r.json["bootstrap"]
                let configuration = BootstrapConfiguration(resamples: b?["resamples"]?.intValue ?? 1000,
                                                           confidence: b?["confidence"]?.doubleValue ?? 0.95,
                                                           seed: UInt32(truncatingIfNeeded: b?["seed"]?.intValue ?? 42))
                let d = RougeEvaluation.pairedDifference(baseline: f1(base, .rouge1), candidate: f1(r, .rouge1), configuration: configuration)
                against = (d.delta, d.low, d.high)
            }
            let cost = r.json["cost"], measured = r.json["measured"]
            return Row(run: r.run, method: r.json["method"]?.stringValue ?? "?", trainable: cost?["trainable_parameters"]?.intValue,
                       adapterBytes: cost?["adapter_bytes"]?.intValue, trainSeconds: measured?["train_seconds"]?.doubleValue,
                       stepsPerSecond: measured?["steps_per_second"]?.doubleValue, peakRSSBytes: measured?["peak_rss_bytes"]?.intValue,
                       rouge: rouge, overBase: overBase, againstBaseline: against)
        }
        self.notes = notes
        let cpus = Set(records.compactMap { $0.json["measured"]?["host"]?["bf16"]?["cpu_features"]?.stringValue })
        if cpus.count > 1 { self.notes.append("the runs were measured on different CPUs: their times do not compare") }
        let missing = sweep.runs.map(\.name).filter { name in !records.contains { $0.run == name } }
        if !missing.isEmpty { self.notes.append("no record yet for " + missing.joined(separator: ", ")) }
    }

    /// The sort keys: the column names of `columns` (ROUGE highest first, costs lowest first).
    public mutating func sort(by column: String) throws {
        func key(_ r: Row) -> Double? {
            switch column {
            case "trainable": return r.trainable.map(Double.init)
            case "adapter KB": return r.adapterBytes.map(Double.init)
            case "train s": return r.trainSeconds
            case "steps/s": return r.stepsPerSecond.map { -$0 }
            case "peak RSS MB": return r.peakRSSBytes.map(Double.init)
            case "rouge1": return r.rouge[.rouge1].map { -$0.mean }
            case "rouge2": return r.rouge[.rouge2].map { -$0.mean }
            case "rougeL": return r.rouge[.rougeL].map { -$0.mean }
            case "rouge1 - base": return r.overBase[.rouge1].map { -$0.delta }
            default: return nil
            }
        }
        let sortable = ["trainable", "adapter KB", "train s", "steps/s", "peak RSS MB", "rouge1", "rouge2", "rougeL", "rouge1 - base"]
        guard sortable.contains(column) else {
            throw PipelineError.usage("cannot sort by \"\(column)\" (one of: \(sortable.joined(separator: ", ")))")
        }
        rows = rows.enumerated().sorted { a, b in
            switch (key(a.element), key(b.element)) {
            case let (x?, y?) where x != y: return x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return a.offset < b.offset
            }
        }.map(\.element)
        sortedBy = column
    }

    public func render(format: RougeSweep.Format) -> String {
        func n(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "-" }
        func i(_ x: Int?) -> String { x.map { String($0) } ?? "-" }
        let header = ["run", "method", "trainable", "adapter KB", "train s", "steps/s", "peak RSS MB", "rouge1", "rouge1 CI",
                      "rouge2", "rougeL", "rouge1 - base", "rouge1 - \(baseline)", "paired CI"]
        let cells: [[String]] = rows.map { r in
            [r.run, r.method, i(r.trainable), n(r.adapterBytes.map { Double($0) / 1024 }, "%.1f"), n(r.trainSeconds, "%.1f"),
             n(r.stepsPerSecond, "%.2f"), n(r.peakRSSBytes.map { Double($0) / 1_048_576 }, "%.0f"),
             n(r.rouge[.rouge1]?.mean, "%.4f"), r.rouge[.rouge1].map { String(format: "[%.4f, %.4f]", $0.low, $0.high) } ?? "-",
             n(r.rouge[.rouge2]?.mean, "%.4f"), n(r.rouge[.rougeL]?.mean, "%.4f"), n(r.overBase[.rouge1]?.delta, "%+.4f"),
             r.run == baseline ? "(baseline)" : n(r.againstBaseline?.delta, "%+.4f"),
             r.againstBaseline.map { String(format: "[%+.4f, %+.4f]", $0.low, $0.high) } ?? "-"]
        }
        switch format {
        case .csv: return CSVTable.render([header] + cells)
        case .json:
            let rowsJSON: [JSONValue] = cells.map { row in .object(Dictionary(uniqueKeysWithValues: zip(header, row.map { JSONValue.string($0) }))) }
            return JSONValue.object(["sweep": .string(sweep), "baseline": .string(baseline), "rows": .array(rowsJSON),
                                     "notes": .array(notes.map { .string($0) })]).pretty + "\n"
        case .table, .markdown:
            var t = TextTable(header: header)
            for row in cells { t.append(row) }
            var out = "Sweep \(sweep): \(rows.count) runs, the fine-tuned model's ROUGE F1 on the test split; "
                + "rouge1 - \(baseline): paired bootstrap over the same examples" + (sortedBy.map { ", sorted by \"\($0)\"" } ?? "")
            out += "\n\n" + t.render(markdown: format == .markdown) + "\n"
            for note in notes { out += "\nnote: \(note)" }
            if !notes.isEmpty { out += "\n" }
            return out
        }
    }

    /// rouge1 against training time, one marker per run (SVG).
    public func chart() -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
        let series = rows.enumerated().compactMap { i, r -> LineChartSVG.Series? in
            guard let x = r.trainSeconds, let y = r.rouge[.rouge1]?.mean else { return nil }
            return LineChartSVG.Series(name: r.run, color: colors[i % colors.count], points: [(x, y)], markers: true)
        }
        return LineChartSVG(title: "sweep \(sweep): rouge1 against training time", xLabel: "train-lora seconds",
                            yLabel: "rouge1 F1", series: series).render()
    }
}
