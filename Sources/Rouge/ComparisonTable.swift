import Foundation

/// The printed comparison, like a research paper's results table: each system's mean F1
/// with its bootstrap interval, and each later system's difference from the first with the
/// paired-bootstrap interval and the share of resamples in which it is <= 0.
public enum ComparisonTable {
    public static func render(_ metrics: RougeMetrics, format: OutputFormat) -> String {
        switch format {
        case .json:
            return String(decoding: RougeReport.encodeMetrics(metrics), as: UTF8.self)
        case .table, .markdown:
            return caption(metrics) + "\n\n" + table(metrics).render(markdown: format == .markdown) + "\n"
                + (metrics.comparisons.isEmpty ? "" : (format == .markdown ? "\n" : "") + legend(metrics) + "\n")
        }
    }

    /// What the less familiar columns mean, under every comparison table.
    static func legend(_ metrics: RougeMetrics) -> String {
        "share <= 0: the fraction of paired bootstrap resamples in which the difference is at most 0 "
            + "(a one-sided bootstrap p-value: near 0 when the second system is reliably better, 1.000 when it is worse). "
            + (metrics.scorer.lsumSentenceSplit == LsumSplit.sentences.rawValue
                ? "rougeLsum splits summaries into sentences with nltk's sent_tokenize first, as Hugging Face's "
                    + "run_summarization does (rouge.lsum_split: sentences); rouge_score alone and the tutorial split at newlines only."
                : "rougeLsum splits summaries at newlines only, as rouge_score and the tutorial do; Hugging Face's "
                    + "run_summarization splits sentences with nltk first (rouge.lsum_split: sentences), so its rougeLsum is "
                    + "not comparable with this one (on one-line summaries it equals rougeL).")
    }

    static func caption(_ metrics: RougeMetrics) -> String {
        let b = metrics.scorer.bootstrap
        let n = metrics.systemOrder.first.flatMap { metrics.systems[$0]?.n } ?? 0
        let percent = Figures.fixed(b.confidence * 100, signed: false).replacingOccurrences(of: ".0000", with: "")
        let lsum = metrics.scorer.lsumSentenceSplit == LsumSplit.sentences.rawValue ? ", rougeLsum on nltk's sentences" : ""
        return "ROUGE F1 (\(metrics.scorer.usesStemmer ? "Porter stemming, " : "")rouge_score 0.1.2 compatible\(lsum)), "
            + "n = \(n); [\(percent)% bootstrap CI, \(b.resamples) resamples, seed \(b.seed)]"
    }

    static func table(_ metrics: RougeMetrics) -> TextTable {
        let names = metrics.systemOrder
        if names.count == 1, let name = names.first, let system = metrics.systems[name] {
            var t = TextTable(header: ["ROUGE", "\(name) F1", "CI", "precision", "recall"])
            for type in RougeType.allCases {
                guard let s = system.rouge[type] else { continue }
                t.append([type.rawValue, Figures.value(s.fmeasure.mean),
                          Figures.interval(s.fmeasure.low, s.fmeasure.high, signed: false),
                          Figures.value(s.precision.mean), Figures.value(s.recall.mean)])
            }
            return t
        }
        var header = ["ROUGE"]
        for name in names { header += [name, "CI"] }
        for c in metrics.comparisons { header += ["\(c.candidate) - \(c.baseline)", "paired CI", "share <= 0"] }
        var t = TextTable(header: header)
        for type in RougeType.allCases {
            var row = [type.rawValue]
            for name in names {
                guard let s = metrics.systems[name]?.rouge[type] else { row += ["-", "-"]; continue }
                row += [Figures.value(s.fmeasure.mean), Figures.interval(s.fmeasure.low, s.fmeasure.high, signed: false)]
            }
            for c in metrics.comparisons {
                guard let d = c.rouge[type] else { row += ["-", "-", "-"]; continue }
                row += [Figures.signed(d.delta), Figures.interval(d.low, d.high, signed: true), Figures.share(d.shareAtOrBelowZero)]
            }
            t.append(row)
        }
        return t
    }
}
