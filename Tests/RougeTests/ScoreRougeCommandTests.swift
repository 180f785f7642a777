import XCTest
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
        XCTAssertEqual(badInput.stderr, "score-rouge: error: \(bad.path): line 2: not valid JSON\n")
        let missing = try run(["--predictions", dir.url.appendingPathComponent("none.jsonl").path, "--references", r.path])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1)
        XCTAssertEqual(try run(["--predictions", bad.path]).status, 64)
        XCTAssertEqual(try run(["--predictions", bad.path, "--references", r.path, "--format", "html"]).status, 64)
        XCTAssertEqual(try run(["--predictions", bad.path, "--references", r.path, "--resamples", "0"]).status, 64)
    }
}
