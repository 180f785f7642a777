import Foundation
import Rouge

/// The tutorial's protocol beside the whole split's: ROUGE of the first `count` scored examples (the tutorial
/// averaged over 10 test dialogues) with the same bootstrap as the ROUGE table, so the width of a 10-example mean's
/// interval is seen next to the full split's.
public enum SubsetScores {
    /// A Markdown table: for each type, baseline and candidate means with their intervals and the paired difference,
    /// over the first `count` examples and over all. Scores are F1, aligned by index.
    public static func markdown(baseline: [RougeType: [Double]], candidate: [RougeType: [Double]], count: Int,
                                bootstrap: BootstrapConfiguration, names: (String, String)) -> String {
        let total = baseline.values.first?.count ?? 0
        let first = min(count, total)
        func ci(_ i: Interval) -> String { String(format: "[%.4f, %.4f]", i.low, i.high) }
        func describe(_ a: [Double], _ b: [Double]) -> String {
            var generator = MersenneTwister(seed: bootstrap.seed)
            let means = Bootstrap.resampledMeans(columns: [a, b], resamples: bootstrap.resamples, generator: &generator)
            let d = RougeEvaluation.pairedDifference(baselineMean: Bootstrap.mean(a), candidateMean: Bootstrap.mean(b),
                                                     baselineResamples: means[0], candidateResamples: means[1], configuration: bootstrap)
            return String(format: "%.4f ", Bootstrap.mean(a)) + ci(Bootstrap.interval(of: means[0], configuration: bootstrap))
                + String(format: " | %.4f ", Bootstrap.mean(b)) + ci(Bootstrap.interval(of: means[1], configuration: bootstrap))
                + String(format: " | %+.4f [%+.4f, %+.4f]", d.delta, d.low, d.high)
        }
        var md = "| ROUGE | examples | \(names.0) [CI] | \(names.1) [CI] | difference [paired CI] |\n| --- | ---: | --- | --- | --- |\n"
        for type in [RougeType.rouge1, .rouge2, .rougeL] {
            guard let a = baseline[type], let b = candidate[type] else { continue }
            md += "| \(type.rawValue) | first \(first) | " + describe(Array(a.prefix(first)), Array(b.prefix(first))) + " |\n"
            md += "| \(type.rawValue) | all \(total) | " + describe(a, b) + " |\n"
        }
        return md
    }
}
