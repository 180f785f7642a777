import Foundation
import JSON

/// train-lora's log.jsonl as loss series: the training loss at every optimiser step (lines with `loss`)
/// and the validation loss wherever it was measured (any line with `step` and `validation_loss`: at the
/// end of each epoch, or every N steps, when `epoch` is a fraction).
struct LossCurves {
    var training: [(x: Double, y: Double)] = []
    var validation: [(x: Double, y: Double)] = []

    init(log: String) {
        for line in log.split(separator: "\n") {
            guard let v = try? JSONValue.parse(Data(line.utf8)), let step = v["step"]?.doubleValue else { continue }
            if let l = v["loss"]?.doubleValue { training.append((step, l)) }
            if let l = v["validation_loss"]?.doubleValue { validation.append((step, l)) }
        }
    }

    /// One run's curves in a chart: `name` nil for a report of one run.
    struct Run {
        var name: String?
        var curves: LossCurves
        /// Compared runs are drawn dashed, the report's own run solid.
        var dashed = false
    }

    /// Training and validation colours, one pair per run.
    static let colors = [("#1f77b4", "#d62728"), ("#ff7f0e", "#9467bd"), ("#2ca02c", "#8c564b"),
                         ("#17becf", "#e377c2"), ("#7f7f7f", "#bcbd22")]

    /// `keptStep`: the step whose state the published adapter is (`train.keep`), marked on the chart.
    static func chart(_ runs: [Run], keptStep: Int? = nil) -> LineChartSVG {
        var series: [LineChartSVG.Series] = []
        for (i, run) in runs.enumerated() {
            let (trainColor, validationColor) = colors[i % colors.count]
            series.append(.init(name: "training (\(run.name ?? "per step"))", color: trainColor, points: run.curves.training,
                                dashed: run.dashed))
            series.append(.init(name: run.name.map { "validation (\($0))" } ?? "validation", color: validationColor,
                                points: run.curves.validation, markers: true, dashed: run.dashed))
        }
        var chart = LineChartSVG(title: "train-lora loss", xLabel: "optimiser step", yLabel: "cross-entropy (nats/token)", series: series)
        if let keptStep { chart.verticalMarks = [(Double(keptStep), "published adapter: step \(keptStep)")] }
        return chart
    }
}
