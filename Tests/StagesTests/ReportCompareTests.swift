import Dataset
@testable import Experiments
import Failures
import Foundation
import JSON
import Pipeline
@testable import Report
import TestSupport
import XCTest
@testable import Stages

/// `pipeline-report --compare REV`: the loss chart overlays the training curves of another revision's
/// run, found through the lock at that revision (its train-lora key) and the store (that key's log).
final class ReportCompareTests: XCTestCase {
    var p: StageTestProject!
    /// c0: no lock; c1: a lock with no train-lora record; c2: train-lora `keys[0]`; c3: train-lora `keys[1]` (the current run).
    var commits: [String] = []
    let keys = [String(repeating: "a1", count: 32), String(repeating: "b2", count: 32)]
    /// Each run's log: training steps, a validation line at a fractional epoch and one at the epoch's end.
    let logs = [
        (1...4).map { "{\"epoch\":\(Double($0) / 4),\"loss\":\(4.0 - Double($0) * 0.5),\"lr\":0.001,\"step\":\($0)}\n" }.joined()
            + "{\"epoch\":0.5,\"step\":2,\"validation_loss\":3.25}\n{\"epoch\":1,\"step\":4,\"validation_loss\":2.75}\n",
        (1...6).map { "{\"epoch\":\(Double($0) / 6),\"loss\":\(3.0 - Double($0) * 0.25),\"lr\":0.0005,\"step\":\($0)}\n" }.joined()
            + "{\"epoch\":1,\"step\":6,\"validation_loss\":1.5}\n",
    ]

    @discardableResult
    func git(_ arguments: String...) throws -> String { try Git.run(arguments, in: p.root) }

    func commit(_ message: String) throws {
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
        commits.append(try git("rev-parse", "HEAD"))
    }

    /// Records a train-lora run of `keys[run]` in the lock and puts its log in the store.
    func recordTraining(_ run: Int) throws {
        // run 1 (this run) smooths its labels and halves the learning rate
        let params: JSONValue = ["train.lr": .double(run == 0 ? 0.001 : 0.0005), "train.label_smoothing": .double(run == 0 ? 0 : 0.1),
                                 "lora.r": .int(32)]
        try LockFile(url: p.url("pipeline.lock")).update(instance: "train-lora", record: ["stage": .string("train-lora"), "key": .string(keys[run]),
                                                                                          "params": params])
        try p.write(logs[run], to: "data/store/\(keys[run])/outputs/log.jsonl")
    }

    override func setUpWithError() throws {
        p = try StageTestProject()
        try git("init", "-q")
        try p.write("data/\nreports/\n", to: ".gitignore")
        try p.writeSplits(3)
        for variant in ["base", "lora"] {
            try p.write((0..<3).map { JSONLines.line([("id", "test-\($0)"), ("prediction", "\(variant): Jerry will buy milk.")]) }.joined(),
                        to: "data/predictions/\(variant).jsonl")
        }
        try commit("no run yet")
        try ScoreRougeStage.run(try p.options(["--set", "rouge.bootstrap_samples=20"]), root: p.root)
        try commit("scored, not trained")
        try recordTraining(0)
        try commit("run 0")
        try recordTraining(1)
        try p.write(logs[1], to: "data/adapter/log.jsonl")
        try commit("run 1")
    }

    override func tearDown() {
        if let p { try? FileManager.default.removeItem(at: p.root) }
        p = nil
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testChartOverlaysBothRevisionsSeries() throws {
        let report = try RunReport.write(configFile: nil, directory: p.root, compare: ["HEAD~1"])
        let svg = try String(contentsOf: report.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        let label = "HEAD~1 \(commits[2].prefix(8))"
        // a compared run is named by what it set otherwise (its values), not by its commit alone
        let compared = "HEAD~1: train.label_smoothing 0.0, train.lr 0.001"
        for name in ["training (this run)", "validation (this run)", "training (\(compared))", "validation (\(compared))"] {
            XCTAssertTrue(svg.contains(">\(name)</text>"), "\(name) in\n\(svg)")
        }
        // four curves: one colour per run, training solid, validation dashed; a marker per validation line of both logs
        let paths = svg.split(separator: "\n").filter { $0.hasPrefix("<path") }
        XCTAssertEqual(paths.count, 4, svg)
        XCTAssertFalse(svg.contains("<polyline"), "ImageMagick draws a spurious diagonal across a polyline")
        XCTAssertFalse(paths.contains { $0.contains("Z") || $0.contains("z") }, "no path is closed")
        func color(_ line: Substring) -> String { String(line.split(separator: "\"")[3]) }
        XCTAssertEqual(paths.map(color), [LossCurves.colors[0], LossCurves.colors[0], LossCurves.colors[1], LossCurves.colors[1]])
        XCTAssertEqual(paths.map { $0.contains("stroke-dasharray") }, [false, true, false, true])
        XCTAssertEqual(count(",", in: String(paths[2])), 4, "run 0's training curve has its 4 steps")
        XCTAssertEqual(count("<circle", in: svg), 3, svg)

        let md = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(md.contains("Compared with `HEAD~1` (commit `\(commits[2].prefix(12))`, train-lora `\(keys[0].prefix(12))`)"), md)
        XCTAssertTrue(md.contains("One colour per run, training solid, validation dashed. This run (train-lora `\(keys[1].prefix(12))`) first; "
                                  + "then `\(label)`."), md)
        XCTAssertTrue(md.contains("**Not comparable in height:** the runs use different label smoothing (this run 0.1000, HEAD~1 0.0000)"), md)

        // Without --compare: one run, training solid and validation dashed, no legend names, no note.
        let single = try RunReport.write(configFile: nil, directory: p.root)
        let own = try String(contentsOf: single.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(own.contains(">training</text>") && own.contains(">validation</text>"), own)
        XCTAssertEqual(count("<path", in: own), 2)
        XCTAssertEqual(count("stroke-dasharray=\"6 3\"", in: own), 2, "the validation curve and its legend line")
        let text = try String(contentsOf: single, encoding: .utf8)
        XCTAssertFalse(text.contains("Compared with") || text.contains("Not comparable"))

        // The same train-lora run at another revision is named so, not "same settings, other inputs"
        let same = try RunReport.write(configFile: nil, directory: p.root, compare: ["HEAD"])
        let sameSVG = try String(contentsOf: same.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(sameSVG.contains(">training (HEAD: the same run)</text>"), sameSVG)

        // A log axis: labelled, its ticks at 1-2-5 (or finer) values inside the range of the losses (1.5 to 3.5)
        let log = try RunReport.write(configFile: nil, directory: p.root, logarithmicLoss: true)
        let logSVG = try String(contentsOf: log.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(logSVG.contains("cross-entropy (nats/token), log scale"), logSVG)
        XCTAssertEqual(LineChartSVG.logarithmicTicks(from: 1.4, to: 3.6), [1.5, 2, 3])
        XCTAssertEqual(LineChartSVG.logarithmicTicks(from: 0.8, to: 12), [1, 2, 5, 10])
        XCTAssertEqual(LineChartSVG.logarithmicTicks(from: 0.05, to: 120), [0.1, 1, 10, 100])
        XCTAssertTrue(logSVG.contains(">1.5</text>") && logSVG.contains(">3</text>"), logSVG)
    }

    func testRevisionsWithoutATrainingLogAreOneErrorAndWriteNothing() throws {
        try FileManager.default.removeItem(at: p.url("data/store/\(keys[0])"))
        let cases: [(revision: String, status: ExitStatus, file: String, words: [String])] = [
            ("HEAD~1", .missingInput, "data/store/\(keys[0])/outputs/log.jsonl",
             ["no training log for train-lora key \(keys[0])", "HEAD~1 (\(commits[2].prefix(12)))"]),
            ("HEAD~2", .missingInput, "pipeline.lock", ["HEAD~2 (\(commits[1].prefix(12))) records no train-lora run"]),
            (commits[0], .missingInput, "pipeline.lock", ["(\(commits[0].prefix(12))) has no pipeline.lock"]),
            ("no-such-branch", .usage, p.root.lastPathComponent, ["unknown revision \"no-such-branch\""]),
        ]
        for c in cases {
            do {
                _ = try RunReport.write(configFile: nil, directory: p.root, compare: ["HEAD", c.revision])
                XCTFail("expected an error for \(c.revision)")
            } catch let error as PipelineError {
                XCTAssertEqual(error.status, c.status, error.description)
                XCTAssertTrue(error.path?.hasSuffix(c.file) == true, error.description)
                for w in c.words { XCTAssertTrue(error.description.contains(w), "\(w) in \(error.description)") }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("reports").path), "written for \(c.revision)")
        }

        // The executable: exit 66 and one line naming the store's log, the key and the revision; no report.
        let (status, stderr) = try StageTestProject.run("pipeline-report", ["--compare", "HEAD~1"], in: p.root)
        XCTAssertEqual(status, ExitStatus.missingInput.rawValue, stderr)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr)
        XCTAssertTrue(stderr.hasPrefix("pipeline-report: error: \(p.root.standardizedFileURL.path)/data/store/\(keys[0])/outputs/log.jsonl: "
                                       + "no training log for train-lora key \(keys[0]) of HEAD~1 ("), stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("reports").path))
    }

    /// `pipeline-report` takes the stages' options: an unchanged report is left as it is (--force rewrites it),
    /// --verify compares without writing (exit 1, one line, when the file differs), --quiet drops the report: line.
    func testTheReportTakesTheStageOptions() throws {
        func report(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try StageTestProject.runCapturing("pipeline-report", arguments, in: p.root)
        }
        let first = try report(["run"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("report: ") && first.stdout.hasSuffix("/report.md\n"), first.stdout)
        let url = URL(fileURLWithPath: String(first.stdout.dropFirst("report: ".count).dropLast()))
        let written = try String(contentsOf: url, encoding: .utf8)

        // Unchanged content, another provenance line: left as it is, and said so.
        var lines = written.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines[2].hasPrefix("Configuration "), String(lines[2]))
        lines[2] = "Configuration `pipeline.yaml`; written earlier."
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let second = try report([])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stdout, "report: \(url.path) (up to date)\n")
        XCTAssertTrue(try String(contentsOf: url, encoding: .utf8).contains("written earlier."))
        let verified = try report(["--verify"])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertEqual(verified.stdout, "loss.svg: identical\nreport.md: identical\n")

        // --force rewrites it; --quiet prints nothing
        let forced = try report(["--force", "--quiet"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(forced.stdout, "")
        XCTAssertFalse(try String(contentsOf: url, encoding: .utf8).contains("written earlier."))

        // A changed file: --verify says so (exit 1, one line) and writes nothing; a run rewrites it.
        try (written + "edited by hand\n").write(to: url, atomically: true, encoding: .utf8)
        let differs = try report(["--verify"])
        XCTAssertEqual(differs.status, 1, differs.stderr)
        XCTAssertEqual(differs.stdout, "loss.svg: identical\nreport.md: DIFFERENT\n")
        XCTAssertEqual(differs.stderr.split(separator: "\n").count, 1, differs.stderr)
        XCTAssertTrue(differs.stderr.hasPrefix("pipeline-report: error: \(url.path): "), differs.stderr)
        XCTAssertTrue(try String(contentsOf: url, encoding: .utf8).hasSuffix("edited by hand\n"))
        let rewritten = try report([])
        XCTAssertEqual(rewritten.stdout, "report: \(url.path)\n")
        XCTAssertFalse(try String(contentsOf: url, encoding: .utf8).contains("edited by hand"))

        // The old subcommand name: one notice, then the same
        let old = try report(["write", "--quiet"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(old.stderr, "pipeline-report: warning: pipeline-report write is deprecated; use pipeline-report run\n")
    }
}
