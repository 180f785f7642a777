import TestSupport
import XCTest
import Experiments
import Rouge

/// The `score-rouge` executable: exit codes, one-line errors, written files.
final class ScoreRougeCommandTests: XCTestCase {
    /// The built product (swift build --build-tests builds it).
    var executable: URL { get throws { try BuiltProducts.executable("score-rouge") } }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = try executable
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testCompareWritesMetricsAndPrintsTable() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let b = try dir.writeRows("base.jsonl", field: "prediction", SampleData.base)
        let l = try dir.writeRows("lora.jsonl", field: "prediction", SampleData.lora)
        let out = dir.url.appendingPathComponent("metrics")
        let result = try run(["compare", "--base", b.path, "--lora", l.path, "--references", r.path,
                              "--output", out.path, "--record", "generate=abc"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("lora - base"), result.stdout)
        let metrics = try RougeReport.decodeMetrics(Data(contentsOf: out.appendingPathComponent("rouge.json")), path: "rouge.json")
        XCTAssertEqual(metrics.inputs["generate"], "abc")
        XCTAssertEqual(metrics.systems["lora"]?.n, 6)
        let perExample = try String(contentsOf: out.appendingPathComponent("rouge-per-example.jsonl"), encoding: .utf8)
        XCTAssertEqual(perExample.split(separator: "\n").count, 12)
    }

    /// `compare --per-example`: the report's per-example section for any two prediction files, its randomization
    /// test from the config's rouge.randomization_trials (here 200) and rouge.seed.
    func testComparePrintsThePerExampleSection() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let b = try dir.writeRows("base.jsonl", field: "prediction", SampleData.base)
        let l = try dir.writeRows("lora.jsonl", field: "prediction", SampleData.lora)
        let result = try run(["compare", "--base", b.path, "--lora", l.path, "--references", r.path, "--per-example", "--quiet",
                              "--set", "rouge.randomization_trials=200"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("p (randomization)") && result.stdout.contains("(200 trials"), result.stdout)
        XCTAssertTrue(result.stdout.contains("| rouge1 | "), result.stdout)
        let plain = try run(["compare", "--base", b.path, "--lora", l.path, "--references", r.path, "--quiet"])
        XCTAssertFalse(plain.stdout.contains("randomization"))
    }

    func testStandaloneJSON() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let p = try dir.writeRows("pred.jsonl", field: "prediction", SampleData.lora)
        let result = try run(["score", "--predictions", p.path, "--references", r.path, "--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try RougeReport.decodeMetrics(Data(result.stdout.utf8), path: "stdout")
        XCTAssertEqual(metrics.systemOrder, ["pred"])
    }

    /// Fewer predictions than references: an error naming both counts and the first missing id,
    /// unless --allow-subset, which says how many were scored.
    func testPredictionsMustCoverTheReferencesUnlessASubsetIsAllowed() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let partial = Array(SampleData.lora.prefix(2)) + Array(SampleData.lora.suffix(1))
        let p = try dir.writeRows("pred.jsonl", field: "prediction", partial)
        let refused = try run(["score", "--predictions", p.path, "--references", r.path, "--quiet"])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("3 predictions for 6 references"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("id \"3\" (line 3 of"), refused.stderr)
        let allowed = try run(["score", "--predictions", p.path, "--references", r.path, "--allow-subset", "--format", "json", "--quiet"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertEqual(allowed.stderr, "score-rouge: --allow-subset: scored 3 of 6 references\n")
        let metrics = try RougeReport.decodeMetrics(Data(allowed.stdout.utf8), path: "stdout")
        XCTAssertEqual(metrics.systems["pred"]?.n, 3)
        let b = try dir.writeRows("base.jsonl", field: "prediction", Array(SampleData.base.prefix(2)) + Array(SampleData.base.suffix(1)))
        XCTAssertEqual(try run(["compare", "--base", b.path, "--lora", p.path, "--references", r.path]).status, 65)
        XCTAssertEqual(try run(["compare", "--base", b.path, "--lora", p.path, "--references", r.path, "--allow-subset"]).status, 0)
    }

    func testExitCodes() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let bad = try dir.write("bad.jsonl", "{\"id\": \"1\", \"prediction\": \"x\"}\n{oops\n")
        let badInput = try run(["score", "--predictions", bad.path, "--references", r.path, "--quiet"])
        XCTAssertEqual(badInput.status, 65)
        XCTAssertEqual(badInput.stderr, "score-rouge: error: \(bad.path): line 2, column 2: malformed JSON: expected a field name in quotes\n")
        let missing = try run(["score", "--predictions", dir.url.appendingPathComponent("none.jsonl").path, "--references", r.path, "--quiet"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1)
        let usage = try run(["score", "--predictions", bad.path])
        XCTAssertEqual(usage.status, 64)
        XCTAssertEqual(usage.stderr, "score-rouge: error: missing expected argument '--references <references>' (see score-rouge --help)\n")
        XCTAssertEqual(try run(["score", "--predictions", bad.path, "--references", r.path, "--format", "html"]).status, 64)
        XCTAssertEqual(try run(["score", "--predictions", bad.path, "--references", r.path, "--bootstrap-samples", "0"]).status, 64)
    }

    /// The pipeline's bootstrap (rouge.* of the built-in defaults: the fixtures' configs set no rouge.*), which
    /// the diff verbs use as the stage does.
    static let pipelineBootstrap = BootstrapConfiguration(resamples: 1000, confidence: 0.95, seed: 42)

    /// `runs show` over three revisions: one table, in each format; --sort-by; an unknown column is a usage error (64)
    /// on one line.
    func testRunsShowIsTheSweepTable() throws {
        let sweep = try SweepRepository()
        for format in RougeSweep.Format.allCases {
            let table = try run(["runs", "show"] + sweep.commits + ["--repository", sweep.repo.path, "--format", format.rawValue])
            XCTAssertEqual(table.status, 0, table.stderr)
            XCTAssertEqual(table.stdout, try RougeSweep.across(sweep.commits, in: sweep.repo).render(format: format), format.rawValue)
            XCTAssertEqual(table.stderr, "")
        }

        let csv = try run(["runs", "show"] + sweep.commits + ["--repository", sweep.repo.path, "--format", "csv", "--sort-by", "train.lr"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let records = RougeSweepTests.parseCSV(csv.stdout)
        XCTAssertEqual(records.count, 4)
        let lr = try XCTUnwrap(records[0].firstIndex(of: "train.lr"))
        XCTAssertEqual(records.dropFirst().map { $0[lr] }, ["5e-05", "0.001", "0.002"])

        // a short name is the one column it ends
        let short = try run(["runs", "show"] + sweep.commits + ["--repository", sweep.repo.path, "--sort-by", "lr"])
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertEqual(short.stdout, try RougeSweep.across(sweep.commits, in: sweep.repo).sorted(by: "train.lr").render(format: .table))

        // one or two revisions are a table too (the old diff switched layout on the count)
        let pair = Array(sweep.commits.prefix(2))
        let two = try run(["runs", "show"] + pair + ["--repository", sweep.repo.path])
        XCTAssertEqual(two.stdout, try RougeSweep.across(pair, in: sweep.repo).render(format: .table))

        let unknown = try run(["runs", "show"] + sweep.commits + ["--repository", sweep.repo.path, "--sort-by", "beta9"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.stdout, "")
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasPrefix("score-rouge: error: --sort-by: no column \"beta9\"; the columns are \"revision\", "),
                      unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("\"train.lr\""), unknown.stderr)
    }

    /// `metrics diff` and `params diff`: the two halves of the old two-revision diff, each in the same four formats.
    func testMetricsDiffAndParamsDiffInEveryFormat() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        let diff = try RougeDiff.between(pair[0], pair[1], in: sweep.repo, bootstrap: Self.pipelineBootstrap)
        for format in RougeSweep.Format.allCases {
            let metrics = try run(["metrics", "diff"] + pair + ["--repository", sweep.repo.path, "--format", format.rawValue])
            XCTAssertEqual(metrics.status, 0, metrics.stderr)
            XCTAssertEqual(metrics.stdout, diff.renderMetrics(format: format), format.rawValue)
            // the fixture's pipeline.yaml sets no rouge.*: the built-in defaults' values, as the stage would read them
            XCTAssertEqual(metrics.stderr, "score-rouge: pipeline.yaml: rouge.bootstrap_samples 1000, rouge.confidence 0.95, rouge.seed 42\n")
            let params = try run(["params", "diff"] + pair + ["--repository", sweep.repo.path, "--format", format.rawValue])
            XCTAssertEqual(params.status, 0, params.stderr)
            XCTAssertEqual(params.stdout, diff.renderParameters(format: format), format.rawValue)
            XCTAssertEqual(params.stderr, "")
        }
        let metricsCSV = RougeSweepTests.parseCSV(diff.renderMetrics(format: .csv))
        XCTAssertEqual(metricsCSV.first, ["system", "rouge", "a", "b", "b_minus_a", "paired_low", "paired_high", "share_at_or_below_zero", "paired_n"])
        XCTAssertEqual(metricsCSV.count, 1 + diff.rows.count)
        XCTAssertEqual(Double(metricsCSV[1][4]), diff.rows[0].delta)
        let table = diff.renderMetrics(format: .table)
        XCTAssertTrue(table.hasPrefix("ROUGE F1\nA = \(pair[0]) ("), table)
        XCTAssertFalse(table.contains("train.lr"), "parameters belong to params diff")
        let params = diff.renderParameters(format: .table)
        XCTAssertTrue(params.contains("train.lr") && params.contains("5e-05"), params)
        XCTAssertFalse(params.contains("rouge1"), "scores belong to metrics diff")
        XCTAssertEqual(RougeSweepTests.parseCSV(diff.renderParameters(format: .csv)).first, ["source", "parameter", "a", "b"])
        let metricsJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(diff.renderMetrics(format: .json).utf8)) as? [String: Any])
        XCTAssertEqual(Set(metricsJSON.keys), ["revision_a", "revision_b", "subject_a", "subject_b", "rows", "notes"])
        let paramsJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(diff.renderParameters(format: .json).utf8)) as? [String: Any])
        XCTAssertEqual(Set(paramsJSON.keys), ["revision_a", "revision_b", "subject_a", "subject_b", "parameter_changes", "notes"])

        // more than two revisions is runs show's
        let three = try run(["metrics", "diff"] + sweep.commits + ["--repository", sweep.repo.path])
        XCTAssertEqual(three.status, 64)
        XCTAssertEqual(three.stderr, "score-rouge: error: at most two revisions (score-rouge runs show compares more) (see score-rouge --help)\n")
    }

    /// The paired intervals take rouge.* from the compared config as the stage does, and --seed over it.
    func testMetricsDiffUsesTheConfigurationsBootstrap() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        _ = try sweep.fixture.write("pipeline.yaml", "train:\n  lr: 2e-3\nrouge:\n  seed: 7\n  bootstrap_samples: 200\n")
        let configured = try run(["metrics", "diff"] + pair + ["--repository", sweep.repo.path])
        XCTAssertEqual(configured.status, 0, configured.stderr)
        XCTAssertEqual(configured.stderr, "score-rouge: pipeline.yaml: rouge.bootstrap_samples 200, rouge.confidence 0.95, rouge.seed 7\n")
        XCTAssertEqual(configured.stdout, try RougeDiff.between(pair[0], pair[1], in: sweep.repo,
                                                                bootstrap: BootstrapConfiguration(resamples: 200, seed: 7)).renderMetrics(format: .table))
        let seeded = try run(["metrics", "diff"] + pair + ["--repository", sweep.repo.path, "--seed", "3", "--quiet"])
        XCTAssertEqual(seeded.stderr, "")
        XCTAssertEqual(seeded.stdout, try RougeDiff.between(pair[0], pair[1], in: sweep.repo,
                                                            bootstrap: BootstrapConfiguration(resamples: 200, seed: 3)).renderMetrics(format: .table))
        XCTAssertNotEqual(seeded.stdout, configured.stdout)
    }

    /// `score-rouge diff` still works for one release: one deprecation line, then what it printed before (the two-revision
    /// page, or the sweep table for three revisions or a sweep option).
    func testTheOldDiffStillWorksWithOneNotice() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        let two = try run(["diff"] + pair + ["--repository", sweep.repo.path])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertEqual(two.stderr, "score-rouge: warning: score-rouge diff is deprecated; use score-rouge metrics diff and score-rouge params diff\n")
        XCTAssertEqual(two.stdout, try RougeDiff.between(pair[0], pair[1], in: sweep.repo, bootstrap: Self.pipelineBootstrap).render(format: .table))
        for options in [[], ["--format", "csv"]] {
            let three = try run(["diff"] + (options.isEmpty ? sweep.commits : pair) + ["--repository", sweep.repo.path] + options)
            XCTAssertEqual(three.status, 0, three.stderr)
            XCTAssertEqual(three.stderr, "score-rouge: warning: score-rouge diff is deprecated; use score-rouge runs show\n")
            let revisions = options.isEmpty ? sweep.commits : pair
            XCTAssertEqual(three.stdout, try RougeSweep.across(revisions, in: sweep.repo).render(format: options.isEmpty ? .table : .csv))
        }
        // its old bootstrap option, renamed
        let resamples = try run(["diff"] + pair + ["--repository", sweep.repo.path, "--resamples", "100"])
        XCTAssertEqual(resamples.status, 0, resamples.stderr)
        XCTAssertEqual(resamples.stderr.split(separator: "\n").count, 2, resamples.stderr)
        XCTAssertEqual(resamples.stdout, try RougeDiff.between(pair[0], pair[1], in: sweep.repo,
                                                               bootstrap: BootstrapConfiguration(resamples: 100, seed: 42)).render(format: .table))
    }

    /// `--config` alone finds the metrics where that config puts them (paths.metrics, through its base: chain);
    /// it was "metrics" whatever the config said, and the demo's diff failed with exit 66.
    func testDiffReadsTheMetricsWhereTheConfigPutsThem() throws {
        let fixture = try TemporaryGitRepository()
        try fixture.write("pipeline.yaml", "train:\n  lr: 1e-3\n")
        try fixture.write("pipeline.demo.yaml", "base: pipeline.yaml\npaths:\n  metrics: metrics/demo\ntrain:\n  lr: 5e-3\n")
        try fixture.write("pipeline.demo.lock", "{\"stages\": {}}\n")
        _ = try fixture.writeMetrics(lora: SampleData.lora, inputs: [:], metrics: "metrics/demo")
        let first = try fixture.commitAll("demo run")
        _ = try fixture.writeMetrics(lora: SampleData.base, inputs: [:], metrics: "metrics/demo")
        let second = try fixture.commitAll("demo run 2")
        let result = try run(["metrics", "diff", first, second, "--repository", fixture.url.path, "--config", "pipeline.demo.yaml"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("ROUGE F1\nA = \(first) (\(first.prefix(12))): demo run\n"), result.stdout)
        XCTAssertEqual(try DiffFiles.configuredMetrics(config: "pipeline.demo.yaml", in: GitRepository(containing: fixture.url)),
                       "metrics/demo")
        XCTAssertEqual(try DiffFiles.configuredMetrics(config: "pipeline.yaml", in: GitRepository(containing: fixture.url)), "metrics")
    }

    /// Only the demo was run: the diff of the default config says which config has a run.
    func testAMissingRunPointsAtTheConfigThatHasOne() throws {
        let fixture = try TemporaryGitRepository()
        try fixture.write("pipeline.yaml", "train:\n  lr: 1e-3\n")
        try fixture.write("pipeline.demo.yaml", "base: pipeline.yaml\npaths:\n  metrics: metrics/demo\n")
        try fixture.write("pipeline.demo.lock", "{\"stages\": {\"score-rouge\": {\"key\": \"abc\"}}}\n")
        _ = try fixture.writeMetrics(lora: SampleData.lora, inputs: [:], metrics: "metrics/demo")
        _ = try fixture.commitAll("demo run")
        for verb in [["metrics", "diff", "--quiet"], ["params", "diff"], ["runs", "show"]] {
            let result = try run(verb + ["--repository", fixture.url.path])
            XCTAssertEqual(result.status, 66, "\(verb)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasSuffix("has no metrics/rouge.json (pipeline.demo.lock records a run: --config pipeline.demo.yaml, "
                                                  + "CONFIG=pipeline.demo.yaml in make)\n"), result.stderr)
        }
    }

    /// params diff lists the settings that changed; stage keys and output hashes (which change with every setting)
    /// only with --keys.
    func testParamsDiffHidesKeysAndHashesUnlessAsked() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        let plain = try run(["params", "diff"] + pair + ["--repository", sweep.repo.path])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("train.lr"), plain.stdout)
        XCTAssertFalse(plain.stdout.contains("train-lora.key") || plain.stdout.contains("outputs.data/adapter"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("(3 stage keys and output hashes differ too: --keys lists them)"), plain.stdout)
        let keys = try run(["params", "diff"] + pair + ["--repository", sweep.repo.path, "--keys"])
        XCTAssertEqual(keys.status, 0, keys.stderr)
        XCTAssertTrue(keys.stdout.contains("scored.train-lora.key") && keys.stdout.contains("outputs.data/adapter"), keys.stdout)
        XCTAssertFalse(keys.stdout.contains("--keys lists them"), keys.stdout)
        let csv = RougeSweepTests.parseCSV(try run(["params", "diff"] + pair + ["--repository", sweep.repo.path, "--format", "csv", "--keys"]).stdout)
        XCTAssertTrue(csv.contains { $0.count == 4 && $0[1] == "scored.train-lora.key" }, "\(csv)")
    }

    /// Standalone scoring without a subcommand name is the old spelling: one notice, then the same table as `score`.
    func testScoringWithoutASubcommandIsTheDeprecatedSpelling() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let p = try dir.writeRows("pred.jsonl", field: "prediction", SampleData.lora)
        let new = try run(["score", "--predictions", p.path, "--references", r.path, "--quiet"])
        let old = try run(["--predictions", p.path, "--references", r.path, "--quiet"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(old.stdout, new.stdout)
        XCTAssertEqual(old.stderr, "score-rouge: warning: score-rouge --predictions … without a subcommand is deprecated; "
                       + "use score-rouge score --predictions …\n")
        // compare's old option names
        let b = try dir.writeRows("base.jsonl", field: "prediction", SampleData.base)
        let out = dir.url.appendingPathComponent("old-metrics")
        let compared = try run(["compare", "--base", b.path, "--lora", p.path, "--references", r.path, "--out-dir", out.path,
                                "--input", "generate=abc", "--quiet"])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        XCTAssertEqual(compared.stderr, "score-rouge: warning: score-rouge compare --out-dir is deprecated; use score-rouge compare --output\n"
                       + "score-rouge: warning: score-rouge compare --input is deprecated; use score-rouge compare --record\n")
        let metrics = try RougeReport.decodeMetrics(Data(contentsOf: out.appendingPathComponent("rouge.json")), path: "rouge.json")
        XCTAssertEqual(metrics.inputs["generate"], "abc")
    }
}
