import XCTest
import Experiments
import Rouge

struct ExecutableNotBuilt: Error {
    var searched: [String]
}

/// The `score-rouge` executable: exit codes, one-line errors, written files.
final class ScoreRougeCommandTests: XCTestCase {
    /// The built executable next to the test bundle (swift build --build-tests builds it).
    var executable: URL {
        get throws {
            var candidates: [URL] = []
            for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
                candidates.append(bundle.bundleURL.deletingLastPathComponent())
            }
            candidates.append(Bundle.main.bundleURL)
            candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
            for directory in candidates {
                let url = directory.appendingPathComponent("score-rouge")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw ExecutableNotBuilt(searched: candidates.map(\.path))
        }
    }

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
                              "--out-dir", out.path, "--input", "generate=abc"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("lora - base"), result.stdout)
        let metrics = try RougeReport.decodeMetrics(Data(contentsOf: out.appendingPathComponent("rouge.json")), path: "rouge.json")
        XCTAssertEqual(metrics.inputs["generate"], "abc")
        XCTAssertEqual(metrics.systems["lora"]?.n, 6)
        let perExample = try String(contentsOf: out.appendingPathComponent("rouge-per-example.jsonl"), encoding: .utf8)
        XCTAssertEqual(perExample.split(separator: "\n").count, 12)
    }

    func testStandaloneJSON() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let p = try dir.writeRows("pred.jsonl", field: "prediction", SampleData.lora)
        let result = try run(["--predictions", p.path, "--references", r.path, "--format", "json"])
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
        let refused = try run(["--predictions", p.path, "--references", r.path])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("3 predictions for 6 references"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("id \"3\" (line 3 of"), refused.stderr)
        let allowed = try run(["--predictions", p.path, "--references", r.path, "--allow-subset", "--format", "json"])
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
        let badInput = try run(["--predictions", bad.path, "--references", r.path])
        XCTAssertEqual(badInput.status, 65)
        XCTAssertEqual(badInput.stderr, "score-rouge: error: \(bad.path): line 2, column 2: malformed JSON: expected a field name in quotes\n")
        let missing = try run(["--predictions", dir.url.appendingPathComponent("none.jsonl").path, "--references", r.path])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1)
        XCTAssertEqual(try run(["--predictions", bad.path]).status, 64)
        XCTAssertEqual(try run(["--predictions", bad.path, "--references", r.path, "--format", "html"]).status, 64)
        XCTAssertEqual(try run(["--predictions", bad.path, "--references", r.path, "--resamples", "0"]).status, 64)
    }

    /// Three revisions: one table; --sort-by and --format csv; an unknown column is a usage error (64) on one line.
    func testDiffOverThreeRevisionsIsTheSweepTable() throws {
        let sweep = try SweepRepository()
        let table = try run(["diff"] + sweep.commits + ["--repository", sweep.repo.path])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertEqual(table.stdout, try RougeSweep.across(sweep.commits, in: sweep.repo).render(format: .table))

        let csv = try run(["diff"] + sweep.commits + ["--repository", sweep.repo.path, "--format", "csv", "--sort-by", "train.lr"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let records = RougeSweepTests.parseCSV(csv.stdout)
        XCTAssertEqual(records.count, 4)
        let lr = try XCTUnwrap(records[0].firstIndex(of: "train.lr"))
        XCTAssertEqual(records.dropFirst().map { $0[lr] }, ["5e-4", "1e-3", "2e-3"])

        // a short name is the one column it ends
        let short = try run(["diff"] + sweep.commits + ["--repository", sweep.repo.path, "--sort-by", "lr"])
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertEqual(short.stdout, try RougeSweep.across(sweep.commits, in: sweep.repo).sorted(by: "train.lr").render(format: .table))

        let unknown = try run(["diff"] + sweep.commits + ["--repository", sweep.repo.path, "--sort-by", "beta9"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.stdout, "")
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasPrefix("score-rouge: error: --sort-by: no column \"beta9\"; the columns are \"revision\", "),
                      unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("\"train.lr\""), unknown.stderr)
    }

    /// Two revisions print the two-revision diff as before; a sweep option makes them a sweep table.
    func testDiffOfTwoRevisionsIsUnchangedUnlessASweepOptionIsGiven() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        for format in ["table", "markdown", "json"] {
            let result = try run(["diff"] + pair + ["--repository", sweep.repo.path, "--format", format])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, try RougeDiff.between(pair[0], pair[1], in: sweep.repo)
                .render(format: OutputFormat(rawValue: format)!))
        }
        let expected = try RougeSweep.across(pair, in: sweep.repo)
        for options in [["--sweep"], ["--format", "csv"], ["--sort-by", "revision"]] {
            let result = try run(["diff"] + pair + ["--repository", sweep.repo.path] + options)
            XCTAssertEqual(result.status, 0, result.stderr)
            let format: RougeSweep.Format = options.contains("csv") ? .csv : .table
            let table = options.contains("--sort-by") ? try expected.sorted(by: "revision") : expected
            XCTAssertEqual(result.stdout, table.render(format: format), "\(options)")
        }
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
        let result = try run(["diff", first, second, "--repository", fixture.url.path, "--config", "pipeline.demo.yaml"])
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
        let result = try run(["diff", "--repository", fixture.url.path])
        XCTAssertEqual(result.status, 66)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasSuffix("has no metrics/rouge.json (pipeline.demo.lock records a run: --config pipeline.demo.yaml, "
                                              + "CONFIG=pipeline.demo.yaml in make)\n"), result.stderr)
    }

    /// Two revisions list the settings that changed; stage keys and output hashes (which change with every setting)
    /// only with --keys, which keeps the two-revision layout.
    func testTwoRevisionDiffHidesKeysAndHashesUnlessAsked() throws {
        let sweep = try SweepRepository()
        let pair = Array(sweep.commits.prefix(2))
        let plain = try run(["diff"] + pair + ["--repository", sweep.repo.path])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("train.lr"), plain.stdout)
        XCTAssertFalse(plain.stdout.contains("train-lora.key") || plain.stdout.contains("outputs.data/adapter"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("(3 stage keys and output hashes differ too: --keys lists them)"), plain.stdout)
        let keys = try run(["diff"] + pair + ["--repository", sweep.repo.path, "--keys"])
        XCTAssertEqual(keys.status, 0, keys.stderr)
        XCTAssertTrue(keys.stdout.hasPrefix("ROUGE F1\nA = "), "the two-revision layout")
        XCTAssertTrue(keys.stdout.contains("scored.train-lora.key") && keys.stdout.contains("outputs.data/adapter"), keys.stdout)
        XCTAssertFalse(keys.stdout.contains("--keys lists them"), keys.stdout)
    }
}
