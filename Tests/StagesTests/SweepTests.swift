import Experiments
import Foundation
import JSON
import Pipeline
import XCTest
@testable import Stages

/// A sweep of three tiny runs (LoRA, LoRA at another rank, IA3) as `make sweep` runs it: each run's stages with its
/// overrides, then its record. Killed in the middle of the second run's training and run again, it gives the records
/// of an uninterrupted sweep (their measurements aside: times and memory are the computing run's); and the table's
/// numbers are the records'.
final class SweepTests: XCTestCase {
    static let runs: [(String, [String])] = [("lora", []), ("lora-r2", ["lora.r=2"]), ("ia3", ["train.mode=ia3", "train.lr=0.05"])]

    /// The project's sweep file: the tiny settings `args` (as --set pairs) in every run, then the run's own.
    func writeSweep(_ p: StageTestProject, args: [String]) throws -> Sweep {
        let common = stride(from: 1, to: args.count, by: 2).map { args[$0] }
        let quoted = { (items: [String]) in "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]" }
        var text = "config: pipeline.yaml\nbaseline: lora\nruns:\n"
        for (name, own) in Self.runs { text += "  - name: \(name)\n    set: \(quoted(common + own))\n" }
        try p.write(text, to: "tiny-sweep.yaml")
        return try Sweep.load(path: p.url("tiny-sweep.yaml").path)
    }

    /// What `make sweep` does for each run, in-process: the stages to score-rouge (train-lora with --resume), then the record.
    func runSweep(_ p: StageTestProject, _ sweep: Sweep) throws {
        for run in sweep.runs {
            let options = try p.options(run.overrides.flatMap { ["--set", $0] })
            try TrainLoRAStage.run(options, resume: true, root: p.root)
            try GenerateStage.run(options, variant: .base, root: p.root)
            try GenerateStage.run(options, variant: .lora, root: p.root)
            try ScoreRougeStage.run(options, root: p.root)
            try SweepRecord.make(sweep: sweep, run: run, config: try sweep.configuration(of: run)).write(in: try sweep.recordsFolder())
        }
    }

    /// A record without its measurements (the computing run's times and memory).
    func unmeasured(_ r: SweepRecord) -> JSONValue {
        guard case .object(var o) = r.json else { return r.json }
        o["measured"] = nil
        return .object(o)
    }

    func testAKilledSweepRerunGivesTheUninterruptedRecordsAndTheTableComesFromThem() throws {
        let extra = ["--set", "train.epochs=4", "--set", "train.checkpoint_every=2"]
        let a = try StageTestProject(), b = try StageTestProject()
        let args = try a.prepareForTraining(examples: 12, extra: extra)
        _ = try b.prepareForTraining(examples: 12, extra: extra)
        let sweepA = try writeSweep(a, args: args), sweepB = try writeSweep(b, args: args)
        try runSweep(a, sweepA)

        // b: the first run, then the second run's train-lora killed after its first checkpoint, then the sweep again
        try runSweep(b, Sweep(name: sweepB.name, config: sweepB.config, baseline: "lora", runs: [sweepB.runs[0]]))
        let process = Process()
        process.executableURL = try StageTestProject.executable("train-lora")
        process.arguments = ["--quiet", "--resume"] + sweepB.runs[1].overrides.flatMap { ["--set", $0] }
        process.currentDirectoryURL = b.root
        try process.run()
        let killed = StageTestProject.killAfterFirstCheckpoint(process, work: b.url("data/store/.work"))
        try XCTSkipUnless(killed, "the run finished before it could be killed")
        XCTAssertEqual(try SweepRecord.read(sweepB).map(\.run), ["lora"], "a killed run has no record")
        try runSweep(b, sweepB)

        let recordsA = try SweepRecord.read(sweepA), recordsB = try SweepRecord.read(sweepB)
        XCTAssertEqual(recordsA.map(\.run), ["lora", "lora-r2", "ia3"])
        XCTAssertEqual(recordsA.map(unmeasured), recordsB.map(unmeasured))
        XCTAssertEqual(recordsA[2].json["method"], .string("ia3"))
        XCTAssertEqual(recordsA[1].json["per_stage"]?["train-lora"]?["params"]?["lora.r"], .int(2))
        XCTAssertNotNil(recordsA[0].json["measured"]?["peak_rss_bytes"]?.intValue, "the computing run's peak memory")

        // the table's numbers are the records'
        let table = try SweepTable(sweep: sweepA, records: recordsA)
        for (row, record) in zip(table.rows, recordsA) {
            XCTAssertEqual(row.trainable, record.json["cost"]?["trainable_parameters"]?.intValue)
            XCTAssertEqual(row.rouge[.rouge1]?.mean, record.json["rouge"]?["rouge1"]?["lora"]?["mean"]?.doubleValue)
            XCTAssertEqual(row.overBase[.rouge1]?.delta, record.json["rouge"]?["rouge1"]?["lora_minus_base"]?["delta"]?.doubleValue)
        }
        XCTAssertNil(table.rows[0].againstBaseline, "the baseline row")
        let paired = try XCTUnwrap(table.rows[2].againstBaseline)
        XCTAssertEqual(paired.delta, table.rows[2].rouge[.rouge1]!.mean - table.rows[0].rouge[.rouge1]!.mean, accuracy: 1e-12)
        var sorted = table
        try sorted.sort(by: "trainable")
        XCTAssertEqual(sorted.rows.map(\.run), ["ia3", "lora-r2", "lora"])
        let text = table.render(format: .markdown)
        XCTAssertTrue(text.contains("| lora-r2 | lora |") && text.contains("(baseline)"), text)
        XCTAssertTrue(table.chart().contains("<svg"))
        XCTAssertThrowsError(try sorted.sort(by: "colour"))
    }

    func testABadSweepFileIsOneLineNamingIt() throws {
        let p = try StageTestProject()
        for (text, words) in [("config: pipeline.yaml\nruns: []\n", "runs is missing"),
                              ("config: pipeline.yaml\nruns:\n  - name: a\n    set: ['lora.rr=3']\n", "run \"a\": "),
                              ("config: pipeline.yaml\nbaseline: b\nruns:\n  - name: a\n", "baseline \"b\" is not one of the runs"),
                              ("config: pipeline.yaml\nruns:\n  - name: a\n  - name: a\n", "listed twice")] {
            try p.write(text, to: "bad.yaml")
            XCTAssertThrowsError(try Sweep.load(path: p.url("bad.yaml").path)) { e in
                XCTAssertTrue("\(e)".contains("bad.yaml") && "\(e)".contains(words), "\(e)")
            }
        }
    }
}
