import Foundation
import Rouge

/// Where a candidate system wins and loses against a baseline, example by example (the report's section, and
/// `score-rouge compare --per-example` for any two prediction sets): the mean F1 difference per ROUGE type with the
/// share of examples improved, unchanged and worse and a paired approximate randomization test beside the paired
/// bootstrap; the rouge1 means by source-length quartile; generated against reference summary lengths; and the
/// largest wins and losses with their texts.
public struct PerExampleComparison: Sendable {
    public struct Example: Sendable, Equatable {
        public let id, dialogue, reference, baseline, candidate: String
        /// F1 per ROUGE type.
        public let baselineScores, candidateScores: [RougeType: Double]
        /// The source's length (the report uses the dialogue's words).
        public let sourceLength: Int

        public init(id: String, dialogue: String, reference: String, baseline: String, candidate: String,
                    baselineScores: [RougeType: Double], candidateScores: [RougeType: Double], sourceLength: Int) {
            (self.id, self.dialogue, self.reference, self.baseline, self.candidate) = (id, dialogue, reference, baseline, candidate)
            (self.baselineScores, self.candidateScores, self.sourceLength) = (baselineScores, candidateScores, sourceLength)
        }

        public func delta(_ type: RougeType) -> Double { candidateScores[type]! - baselineScores[type]! }
    }

    public struct TypeRow: Sendable, Equatable {
        public let type: RougeType
        public let baselineMean, candidateMean: Double
        /// Examples whose F1 the candidate raised, left equal, lowered.
        public let improved, unchanged, worse: Int
        public let randomization: ApproximateRandomization.Result
        public var meanDelta: Double { candidateMean - baselineMean }
    }

    public struct Bucket: Sendable, Equatable {
        public let count, shortest, longest: Int
        /// rouge1 F1 means.
        public let baselineMean, candidateMean: Double
    }

    public struct Lengths: Sendable, Equatable {
        /// Mean words (whitespace-separated) of the references and of each system's summaries.
        public let reference, baseline, candidate: Double
        /// Examples whose candidate summary has more words than the reference.
        public let candidateLonger: Int
    }

    public let count: Int
    public let rows: [TypeRow]
    public let buckets: [Bucket]
    public let lengths: Lengths
    /// The largest rouge1 gains and losses (ties: earlier example first).
    public let wins, losses: [Example]

    /// `examples` aligned (one per test example). `trials` coins per example for the randomization test from
    /// `seed`; `bucketCount` length groups of equal size (examples sorted by length, then position).
    public init(_ examples: [Example], types: [RougeType] = [.rouge1, .rouge2, .rougeL], trials: Int = 10_000, seed: UInt32,
                bucketCount: Int = 4, extremes: Int = 3) {
        count = examples.count
        rows = types.map { type in
            let a = examples.map { $0.baselineScores[type]! }, b = examples.map { $0.candidateScores[type]! }
            return TypeRow(type: type, baselineMean: Bootstrap.mean(a), candidateMean: Bootstrap.mean(b),
                           improved: zip(a, b).filter { $1 > $0 }.count, unchanged: zip(a, b).filter { $1 == $0 }.count,
                           worse: zip(a, b).filter { $1 < $0 }.count,
                           randomization: ApproximateRandomization.test(baseline: a, candidate: b, trials: trials, seed: seed))
        }
        let order = examples.indices.sorted { (examples[$0].sourceLength, $0) < (examples[$1].sourceLength, $1) }
        let n = examples.count
        buckets = n < bucketCount ? [] : (0..<bucketCount).map { k in
            let members = order[(k * n / bucketCount)..<((k + 1) * n / bucketCount)].map { examples[$0] }
            return Bucket(count: members.count, shortest: members.first!.sourceLength, longest: members.last!.sourceLength,
                          baselineMean: Bootstrap.mean(members.map { $0.baselineScores[.rouge1]! }),
                          candidateMean: Bootstrap.mean(members.map { $0.candidateScores[.rouge1]! }))
        }
        func words(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
        lengths = Lengths(reference: Bootstrap.mean(examples.map { Double(words($0.reference)) }),
                          baseline: Bootstrap.mean(examples.map { Double(words($0.baseline)) }),
                          candidate: Bootstrap.mean(examples.map { Double(words($0.candidate)) }),
                          candidateLonger: examples.filter { words($0.candidate) > words($0.reference) }.count)
        let byGain = examples.indices.sorted { (-examples[$0].delta(.rouge1), $0) < (-examples[$1].delta(.rouge1), $1) }
        wins = byGain.prefix(extremes).filter { examples[$0].delta(.rouge1) > 0 }.map { examples[$0] }
        let byLoss = examples.indices.sorted { (examples[$0].delta(.rouge1), $0) < (examples[$1].delta(.rouge1), $1) }
        losses = byLoss.prefix(extremes).filter { examples[$0].delta(.rouge1) < 0 }.map { examples[$0] }
    }

    /// Aligned examples from two systems' scores (the same ids in the same order, as score-rouge writes them) and the
    /// texts: references' summaries and dialogues, each system's predictions by id. The source length is the
    /// dialogue's words.
    public static func examples(baseline: [ScoredExample], candidate: [ScoredExample], summaries: [String: String],
                                dialogues: [String: String], baselineTexts: [String: String],
                                candidateTexts: [String: String]) -> [Example] {
        precondition(baseline.map(\.id) == candidate.map(\.id), "the two systems must be scored on the same examples in order")
        let types: [RougeType] = [.rouge1, .rouge2, .rougeL]
        return zip(baseline, candidate).map { x, y in
            let dialogue = dialogues[x.id] ?? ""
            return Example(id: x.id, dialogue: dialogue, reference: summaries[x.id] ?? "", baseline: baselineTexts[x.id] ?? "",
                           candidate: candidateTexts[x.id] ?? "",
                           baselineScores: Dictionary(uniqueKeysWithValues: types.map { ($0, x.scores[$0][.fmeasure]) }),
                           candidateScores: Dictionary(uniqueKeysWithValues: types.map { ($0, y.scores[$0][.fmeasure]) }),
                           sourceLength: dialogue.split(whereSeparator: \.isWhitespace).count)
        }
    }

    /// The report's section (Markdown), systems named `baseline` and `candidate`.
    public func markdown(baseline: String, candidate: String) -> String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        func signed(_ x: Double) -> String { String(format: "%+.4f", x) }
        func share(_ k: Int) -> String { String(format: "%d (%.0f%%)", k, 100 * Double(k) / Double(max(count, 1))) }
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ") }
        let trials = rows.first?.randomization.trials ?? 0
        var md = "F1 of \(candidate) against \(baseline) on the same \(count) examples. p: the paired approximate randomization "
            + "test (\(trials) trials: each example's two scores swapped at random; the share of trials whose mean difference "
            + "is at least as large as the observed one), beside the paired bootstrap of the ROUGE table.\n\n"
        md += "| ROUGE | \(baseline) | \(candidate) | difference | improved | unchanged | worse | p (randomization) |\n"
        md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for r in rows {
            md += "| \(r.type.rawValue) | \(f(r.baselineMean)) | \(f(r.candidateMean)) | \(signed(r.meanDelta)) | \(share(r.improved)) "
                + "| \(share(r.unchanged)) | \(share(r.worse)) | \(String(format: "%.4f", r.randomization.pValue)) |\n"
        }
        if !buckets.isEmpty {
            md += "\nrouge1 by dialogue length (words; \(buckets.count) groups of equal size, shortest first):\n\n"
            md += "| words | examples | \(baseline) | \(candidate) | difference |\n| --- | ---: | ---: | ---: | ---: |\n"
            for b in buckets {
                md += "| \(b.shortest)-\(b.longest) | \(b.count) | \(f(b.baselineMean)) | \(f(b.candidateMean)) | \(signed(b.candidateMean - b.baselineMean)) |\n"
            }
        }
        md += "\nSummary lengths (mean words): reference \(String(format: "%.1f", lengths.reference)), \(baseline) "
            + "\(String(format: "%.1f", lengths.baseline)), \(candidate) \(String(format: "%.1f", lengths.candidate)); "
            + "\(candidate) is longer than the reference on \(share(lengths.candidateLonger)) of the examples.\n"
        for (title, list) in [("Largest gains", wins), ("Largest losses", losses)] where !list.isEmpty {
            md += "\n\(title) (rouge1 F1):\n\n| id | difference | reference | \(baseline) | \(candidate) |\n| --- | ---: | --- | --- | --- |\n"
            for e in list {
                md += "| \(e.id) | \(signed(e.delta(.rouge1))) | \(cell(e.reference)) | \(cell(e.baseline)) | \(cell(e.candidate)) |\n"
            }
        }
        return md
    }
}
