import Failures
import Foundation

/// One example's id and scores.
public struct ScoredExample: Equatable, Sendable {
    public var id: String
    public var scores: ExampleScores

    public init(id: String, scores: ExampleScores) {
        self.id = id
        self.scores = scores
    }
}

/// A system's name (e.g. "base", "lora") and where its predictions are.
public struct SystemInput: Sendable {
    public var name: String
    public var predictions: URL

    public init(name: String, predictions: URL) {
        self.name = name
        self.predictions = predictions
    }
}

/// Scoring of prediction files against references: the library call behind every
/// `score-rouge` command.
public enum RougeEvaluation {
    /// Scores every system, checks they cover the same ids, and summarizes with bootstrap
    /// intervals and paired differences of each later system against the first.
    /// `inputs` is recorded verbatim in the metrics (e.g. the keys of the producing stages).
    /// The predictions must cover every reference id unless `allowSubset` (then only theirs are scored).
    public static func evaluate(systems: [SystemInput], references: URL, inputs: [String: String] = [:],
                                bootstrap: BootstrapConfiguration = BootstrapConfiguration(),
                                usesStemmer: Bool = true, lsumSplit: LsumSplit = .newline,
                                allowSubset: Bool = false) throws(PipelineError) -> RougeReport {
        let referencesFile = try ReferencesFile(url: references)
        let files = try systems.map { (s) throws(PipelineError) in try PredictionsFile(url: s.predictions) }
        return try evaluate(names: systems.map(\.name), predictions: files, references: referencesFile,
                            inputs: inputs, bootstrap: bootstrap, usesStemmer: usesStemmer, lsumSplit: lsumSplit,
                            allowSubset: allowSubset)
    }

    /// The score-rouge stage in one call: base and LoRA predictions against the references,
    /// `rouge.json` and `rouge-per-example.jsonl` written into `outputDirectory` (each
    /// atomically), and the report returned for printing with `ComparisonTable.render`.
    /// `inputs` is recorded in rouge.json, e.g. `["generate": <stage key>, "fetch-samsum": <key>]`.
    @discardableResult
    public static func compareBaseAndLoRA(base: URL, lora: URL, references: URL, outputDirectory: URL,
                                          inputs: [String: String] = [:],
                                          bootstrap: BootstrapConfiguration = BootstrapConfiguration(),
                                          lsumSplit: LsumSplit = .newline,
                                          allowSubset: Bool = false) throws(PipelineError) -> RougeReport {
        let report = try evaluate(systems: [SystemInput(name: "base", predictions: base),
                                            SystemInput(name: "lora", predictions: lora)],
                                  references: references, inputs: inputs, bootstrap: bootstrap, lsumSplit: lsumSplit,
                                  allowSubset: allowSubset)
        try report.write(to: outputDirectory)
        return report
    }

    /// The same on already-read files.
    public static func evaluate(names: [String], predictions: [PredictionsFile], references: ReferencesFile,
                                inputs: [String: String] = [:],
                                bootstrap: BootstrapConfiguration = BootstrapConfiguration(),
                                usesStemmer: Bool = true, lsumSplit: LsumSplit = .newline,
                                allowSubset: Bool = false) throws(PipelineError) -> RougeReport {
        let bootstrap = try bootstrap.validated()
        guard !predictions.isEmpty, names.count == predictions.count else {
            throw PipelineError(.usage, "need one name per predictions file and at least one system")
        }
        guard Set(names).count == names.count else {
            throw PipelineError(.usage, "system names must be distinct: \(names.joined(separator: ", "))")
        }
        try checkSameIDs(predictions)
        if !allowSubset, !predictions[0].rows.isEmpty { try checkCoverage(predictions[0], references) }
        let scorer = RougeScorer(usesStemmer: usesStemmer, lsumSplit: lsumSplit)
        var scored: [[ScoredExample]] = []
        for file in predictions {
            scored.append(try score(file, against: references, scorer: scorer))
        }
        // Every system in the first system's order, so resampled indices pair the same examples.
        let order = predictions[0].rows.map(\.id)
        let aligned = scored.map { examples in
            let byID = Dictionary(uniqueKeysWithValues: examples.map { ($0.id, $0) })
            return order.map { byID[$0]! }
        }
        let metrics = summarize(names: names, examples: aligned, inputs: inputs, bootstrap: bootstrap,
                                usesStemmer: usesStemmer, lsumSplit: lsumSplit)
        return RougeReport(metrics: metrics, examples: Dictionary(uniqueKeysWithValues: zip(names, aligned)))
    }

    /// Scores one predictions file; every prediction id must have a reference.
    public static func score(_ predictions: PredictionsFile, against references: ReferencesFile,
                             scorer: RougeScorer) throws(PipelineError) -> [ScoredExample] {
        guard !predictions.rows.isEmpty else {
            throw PipelineError(.badInput, "no predictions to score", path: predictions.path)
        }
        var out: [ScoredExample] = []
        out.reserveCapacity(predictions.rows.count)
        for row in predictions.rows {
            guard let reference = references.summaries[row.id] else {
                throw PipelineError(.badInput, "line \(row.line): id \"\(row.id)\" has no reference in \(references.path)",
                                 path: predictions.path)
            }
            do {
                out.append(ScoredExample(id: row.id, scores: try scorer.score(target: reference, prediction: row.prediction)))
            } catch {
                throw PipelineError(.badInput, "line \(row.line): id \"\(row.id)\": \(error.message)", path: predictions.path)
            }
        }
        return out
    }

    /// Fewer predictions than references is an error unless asked for: a silently partial score
    /// would read as the whole split's.
    static func checkCoverage(_ predictions: PredictionsFile, _ references: ReferencesFile) throws(PipelineError) {
        let predicted = Set(predictions.rows.map(\.id))
        guard let missing = references.order.first(where: { !predicted.contains($0.id) }) else { return }
        throw PipelineError(.badInput, "\(predictions.rows.count) predictions for \(references.order.count) references: "
                         + "the first without a prediction is id \"\(missing.id)\" (line \(missing.line) of \(references.path)); "
                         + "--allow-subset scores only the predicted ids", path: predictions.path)
    }

    /// The scored subset is the first system's ids; every other system must have exactly those.
    static func checkSameIDs(_ files: [PredictionsFile]) throws(PipelineError) {
        guard let first = files.first else { return }
        let expected = Set(first.rows.map(\.id))
        for file in files.dropFirst() {
            let ids = Set(file.rows.map(\.id))
            if let extra = file.rows.first(where: { !expected.contains($0.id) }) {
                throw PipelineError(.badInput, "line \(extra.line): id \"\(extra.id)\" is not in \(first.path)", path: file.path)
            }
            if let missing = first.rows.first(where: { !ids.contains($0.id) }) {
                throw PipelineError(.badInput, "id \"\(missing.id)\" of \(first.path) line \(missing.line) is missing", path: file.path)
            }
        }
    }

    /// Means, bootstrap intervals and paired differences. `examples` must be aligned by index.
    /// One generator seeded once; for each ROUGE type in order, `resamples` index draws shared
    /// by all systems (so the first system's intervals equal rouge_score's BootstrapAggregator
    /// after `np.random.seed(seed)`).
    public static func summarize(names: [String], examples: [[ScoredExample]], inputs: [String: String],
                                 bootstrap: BootstrapConfiguration, usesStemmer: Bool,
                                 lsumSplit: LsumSplit = .newline) -> RougeMetrics {
        var generator = MersenneTwister(seed: bootstrap.seed)
        let n = examples.first?.count ?? 0
        var perSystem = [[RougeType: TypeSummary]](repeating: [:], count: names.count)
        var paired = [[RougeType: PairedDifference]](repeating: [:], count: names.count)
        let measures: [Measure] = [.precision, .recall, .fmeasure]
        for type in RougeType.allCases {
            var columns: [[Double]] = []
            for system in examples {
                for m in measures { columns.append(system.map { $0.scores[type][m] }) }
            }
            let means = Bootstrap.resampledMeans(columns: columns, resamples: bootstrap.resamples, generator: &generator)
            for s in 0..<names.count {
                func summary(_ k: Int) -> MeasureSummary {
                    let c = s * measures.count + k
                    return MeasureSummary(mean: Bootstrap.mean(columns[c]),
                                          interval: Bootstrap.interval(of: means[c], configuration: bootstrap))
                }
                perSystem[s][type] = TypeSummary(fmeasure: summary(2), precision: summary(0), recall: summary(1))
                if s > 0 {
                    let base = 2, cand = s * measures.count + 2
                    paired[s][type] = pairedDifference(
                        baselineMean: Bootstrap.mean(columns[base]), candidateMean: Bootstrap.mean(columns[cand]),
                        baselineResamples: means[base], candidateResamples: means[cand], configuration: bootstrap)
                }
            }
        }
        var systems: [String: SystemSummary] = [:]
        for (s, name) in names.enumerated() { systems[name] = SystemSummary(n: n, rouge: perSystem[s]) }
        let comparisons = names.indices.dropFirst().map {
            SystemComparison(baseline: names[0], candidate: names[$0], n: n, rouge: paired[$0])
        }
        return RougeMetrics(scorer: ScorerDescription(usesStemmer: usesStemmer, lsumSplit: lsumSplit, bootstrap: bootstrap),
                            inputs: inputs, systemOrder: names, systems: systems, comparisons: comparisons)
    }

    /// Candidate minus baseline from resampled means taken over the same indices.
    public static func pairedDifference(baselineMean: Double, candidateMean: Double,
                                        baselineResamples: [Double], candidateResamples: [Double],
                                        configuration: BootstrapConfiguration) -> PairedDifference {
        let deltas = zip(candidateResamples, baselineResamples).map { $0 - $1 }
        let atOrBelow = deltas.reduce(0) { $0 + ($1 <= 0 ? 1 : 0) }
        return PairedDifference(delta: candidateMean - baselineMean,
                                interval: Bootstrap.interval(of: deltas, configuration: configuration),
                                shareAtOrBelowZero: Double(atOrBelow) / Double(max(deltas.count, 1)))
    }

    /// A paired bootstrap of two aligned F1 columns with a fresh generator: used for diffs
    /// across revisions, one system and ROUGE type at a time.
    public static func pairedDifference(baseline: [Double], candidate: [Double],
                                        configuration: BootstrapConfiguration) -> PairedDifference {
        var generator = MersenneTwister(seed: configuration.seed)
        let means = Bootstrap.resampledMeans(columns: [baseline, candidate], resamples: configuration.resamples,
                                             generator: &generator)
        return pairedDifference(baselineMean: Bootstrap.mean(baseline), candidateMean: Bootstrap.mean(candidate),
                                baselineResamples: means[0], candidateResamples: means[1], configuration: configuration)
    }
}
