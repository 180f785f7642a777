import Dataset
import Failures
import Foundation
import JSON
import Pipeline
import Report
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
    func git(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", p.root.path, "-c", "user.name=Test", "-c", "user.email=test@example.com",
                             "-c", "commit.gpgsign=false"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "git \(arguments)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func commit(_ message: String) throws {
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
        commits.append(try git("rev-parse", "HEAD"))
    }

    /// Records a train-lora run of `keys[run]` in the lock and puts its log in the store.
    func recordTraining(_ run: Int) throws {
        try LockFile(url: p.url("pipeline.lock")).update(instance: "train-lora", record: ["stage": .string("train-lora"), "key": .string(keys[run])])
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
        for name in ["training (this run)", "validation (this run)", "training (\(label))", "validation (\(label))"] {
            XCTAssertTrue(svg.contains(">\(name)</text>"), "\(name) in\n\(svg)")
        }
        // four curves, the compared run's two dashed; a marker per validation line of both logs (the fractional epoch too)
        XCTAssertEqual(count("<path", in: svg), 4, svg)
        XCTAssertFalse(svg.contains("<polyline"), "ImageMagick draws a spurious diagonal across a polyline")
        let dashed = svg.split(separator: "\n").filter { $0.hasPrefix("<path") && $0.contains("stroke-dasharray") }
        XCTAssertEqual(dashed.count, 2, svg)
        XCTAssertEqual(dashed.first.map { count(",", in: String($0)) }, 4, "run 0's training curve has its 4 steps")
        XCTAssertEqual(count("<circle", in: svg), 3, svg)

        let md = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(md.contains("Compared with `HEAD~1` (commit `\(commits[2].prefix(12))`, train-lora `\(keys[0].prefix(12))`)"), md)
        XCTAssertTrue(md.contains("Solid: this run (train-lora `\(keys[1].prefix(12))`); dashed: `\(label)`."), md)

        // Without --compare: one run, labelled as before but for "validation", nothing dashed.
        let single = try RunReport.write(configFile: nil, directory: p.root)
        let own = try String(contentsOf: single.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(own.contains(">training (per step)</text>") && own.contains(">validation</text>"), own)
        XCTAssertEqual(count("<path", in: own), 2)
        XCTAssertFalse(own.contains("stroke-dasharray"))
        XCTAssertFalse(try String(contentsOf: single, encoding: .utf8).contains("Compared with"))
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
}
