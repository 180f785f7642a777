import Foundation
import Experiments
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
    }

    /// One colour per run (the report's own first), so that a run's two curves read as one run.
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]

    /// Each run in its colour: training solid, validation dashed with a marker at each measurement.
    /// `keptStep`: the step whose state the published adapter is (`train.keep`), marked on the chart.
    static func chart(_ runs: [Run], keptStep: Int? = nil, logarithmic: Bool = false) -> LineChartSVG {
        var series: [LineChartSVG.Series] = []
        for (i, run) in runs.enumerated() {
            let color = colors[i % colors.count]
            series.append(.init(name: "training" + (run.name.map { " (\($0))" } ?? ""), color: color, points: run.curves.training))
            series.append(.init(name: "validation" + (run.name.map { " (\($0))" } ?? ""), color: color,
                                points: run.curves.validation, markers: true, dashed: true))
        }
        var chart = LineChartSVG(title: "train-lora loss", xLabel: "optimiser step", yLabel: "cross-entropy (nats/token)", series: series)
        chart.logarithmicY = logarithmic
        if let keptStep { chart.verticalMarks = [(Double(keptStep), "published adapter: step \(keptStep)")] }
        return chart
    }
}
