import Pipeline
import TestSupport
import XCTest
@testable import Experiments
@testable import Rouge

/// `score-rouge diff` on a temporary git repository with real commits.
final class RougeDiffTests: XCTestCase {
    var fixture: TemporaryGitRepository!
    var dir: TemporaryDirectory { fixture.directory }
    var repo: URL { fixture.url }
    /// Commit without metrics, then two commits with different settings and LoRA predictions.
    var commits: [String] = []
    var metrics: [RougeMetrics] = []

    func writeMetrics(lora: [(String, String)], generateKey: String) throws -> RougeMetrics {
        try fixture.writeMetrics(lora: lora, inputs: ["generate": generateKey])
    }

    override func setUpWithError() throws {
        fixture = try TemporaryGitRepository()
        try dir.write("repo/README.md", "test\n")
        commits.append(try fixture.commitAll("no metrics yet"))

        try dir.write("repo/pipeline.yaml", "train:\n  lr: 1e-3\n  epochs: 10\nlora:\n  r: 32\n  targets: [q, v]\n")
        try dir.write("repo/pipeline.lock", "{\"stages\": {\"train-lora\": {\"key\": \"aaa111\"}}}\n")
        metrics.append(try writeMetrics(lora: SampleData.lora, generateKey: "gen-1"))
        commits.append(try fixture.commitAll("first run"))

        try dir.write("repo/pipeline.yaml", "train:\n  lr: 5e-4\n  epochs: 10\nlora:\n  r: 32\n  targets: [q, v, k]\n")
        try dir.write("repo/pipeline.lock", "{\"stages\": {\"train-lora\": {\"key\": \"bbb222\"}}}\n")
        let worse = SampleData.lora.enumerated().map { $0.offset % 2 == 0 ? SampleData.base[$0.offset] : $0.element }
        metrics.append(try writeMetrics(lora: worse, generateKey: "gen-2"))
        commits.append(try fixture.commitAll("second run"))
    }

    override func tearDown() { fixture = nil }

    func testDiffBetweenCommitsShowsDeltasPairedIntervalsAndParameters() throws {
        let diff = try RougeDiff.between(commits[1], commits[2], in: repo)
        XCTAssertEqual(diff.rows.count, 8)
        let base = try XCTUnwrap(diff.rows.first { $0.system == "base" && $0.rouge == .rouge1 })
        XCTAssertEqual(base.delta, 0)
        XCTAssertEqual(base.paired?.low, 0)
        XCTAssertEqual(base.paired?.high, 0)
        let lora = try XCTUnwrap(diff.rows.first { $0.system == "lora" && $0.rouge == .rouge2 })
        let a = metrics[0].systems["lora"]!.rouge[.rouge2]!.fmeasure.mean
        let b = metrics[1].systems["lora"]!.rouge[.rouge2]!.fmeasure.mean
        XCTAssertEqual(lora.a, a)
        XCTAssertEqual(lora.b, b)
        XCTAssertEqual(lora.delta, b - a)
        XCTAssertLessThan(try XCTUnwrap(lora.delta), 0)
        XCTAssertEqual(lora.pairedN, 6)
        XCTAssertGreaterThan(try XCTUnwrap(lora.paired?.shareAtOrBelowZero), 0.5)

        let changes = diff.parameterChanges.map { "\($0.source) \($0.key) \($0.a ?? "-") \($0.b ?? "-")" }
        XCTAssertEqual(changes, [
            "pipeline.yaml lora.targets [q, v] [q, v, k]",
            "pipeline.yaml train.lr 1e-3 5e-4",
            "run identity scored.generate gen-1 gen-2",
            "run identity train-lora.key aaa111 bbb222",
        ])
        let table = diff.render(format: .table)
        XCTAssertTrue(table.hasPrefix("ROUGE F1\nA = \(commits[1]) (\(commits[1].prefix(12))): first run\n"
                                      + "B = \(commits[2]) (\(commits[2].prefix(12))): second run\n"), table)
        XCTAssertTrue(table.contains("Parameters that differ"), table)
        XCTAssertFalse(table.contains("train-lora.key"), table)
        XCTAssertTrue(table.contains("(2 stage keys and output hashes differ too: --keys lists them)"), table)
        XCTAssertTrue(table.contains("train.lr"), table)
        XCTAssertTrue(table.contains(Figures.signed(b - a)), table)
        XCTAssertTrue(diff.render(format: .markdown).contains("| lora | rouge2 |"))
        let json = try JSONSerialization.jsonObject(with: Data(diff.render(format: .json).utf8)) as? [String: Any]
        XCTAssertEqual((json?["rows"] as? [Any])?.count, 8)
    }

    /// A parameter one run never recorded, at today's default in the other (added since, with the older behaviour),
    /// is one note, not a row; set otherwise it is a change.
    func testAParameterAddedAtItsDefaultIsANoteNotARow() throws {
        try dir.write("repo/pipeline.lock", "{\"stages\": {\"generate-lora\": {\"key\": \"k\", \"params\": "
                      + "{\"generation.repetition_penalty\": 1.0, \"generation.num_beams\": 1}}}}\n")
        try fixture.commitAll("new parameter at its default")
        try dir.write("repo/pipeline.lock", "{\"stages\": {\"generate-lora\": {\"key\": \"k\", \"params\": "
                      + "{\"generation.num_beams\": 1}}}}\n")
        var diff = try RougeDiff.between(nil, nil, in: repo)
        XCTAssertFalse(diff.parameterChanges.contains { $0.key == "generation.repetition_penalty" }, "\(diff.parameterChanges)")
        XCTAssertTrue(diff.notes.contains("recorded by one revision only, at today's default (added since): "
                                          + "generation.repetition_penalty 1.0"), "\(diff.notes)")
        try dir.write("repo/pipeline.lock", "{\"stages\": {\"generate-lora\": {\"key\": \"k\", \"params\": "
                      + "{\"generation.repetition_penalty\": 1.3, \"generation.num_beams\": 1}}}}\n")
        diff = try RougeDiff.between("HEAD~1", nil, in: repo)
        XCTAssertEqual(diff.parameterChanges.filter { $0.key == "generation.repetition_penalty" }.map { "\($0.a ?? "-") \($0.b ?? "-")" },
                       ["- 1.3"])
        XCTAssertEqual(RunSettings.defaults["train.lr_scheduler_type"], "linear")
    }

    func testDefaultIsHeadAgainstWorkingTree() throws {
        var diff = try RougeDiff.between(nil, nil, in: repo)
        XCTAssertEqual(diff.revisionB, "working tree")
        XCTAssertTrue(diff.revisionA.hasPrefix("HEAD ("))
        XCTAssertEqual(diff.parameterChanges, [])
        XCTAssertTrue(diff.rows.allSatisfy { $0.delta == 0 })

        // Without per-example scores in the working tree: deltas, but no paired interval.
        try FileManager.default.removeItem(at: repo.appendingPathComponent(RougeDiff.perExamplePath))
        diff = try RougeDiff.between(nil, nil, in: repo.appendingPathComponent("metrics"))
        XCTAssertTrue(diff.rows.allSatisfy { $0.paired == nil && $0.delta == 0 })
        XCTAssertEqual(diff.notes, ["no per-example scores at working tree: no paired intervals"])
    }

    func testAnotherConfigReadsItsOwnMetricsAndLock() throws {
        // a demo-like config beside the main one: its metrics directory and lock, not metrics/ and pipeline.lock
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("metrics/demo"), withIntermediateDirectories: true)
        for name in ["rouge.json", "rouge-per-example.jsonl"] {
            try FileManager.default.copyItem(at: repo.appendingPathComponent("metrics/" + name),
                                             to: repo.appendingPathComponent("metrics/demo/" + name))
        }
        try dir.write("repo/pipeline.demo.yaml", "base: pipeline.yaml\ntrain:\n  epochs: 1\n")
        try dir.write("repo/pipeline.demo.lock", "{\"stages\": {\"train-lora\": {\"key\": \"demo1\"}}}\n")
        try fixture.commitAll("demo run")
        try dir.write("repo/pipeline.demo.yaml", "base: pipeline.yaml\ntrain:\n  epochs: 2\n")
        try dir.write("repo/pipeline.demo.lock", "{\"stages\": {\"train-lora\": {\"key\": \"demo2\"}}}\n")
        let files = DiffFiles(config: "pipeline.demo.yaml", metricsDirectory: "metrics/demo")
        let diff = try RougeDiff.between(nil, nil, in: repo, files: files)
        XCTAssertEqual(diff.parameterChanges.map { "\($0.source) \($0.key) \($0.a ?? "-") \($0.b ?? "-")" }, [
            "pipeline.demo.yaml train.epochs 1 2",
            "run identity train-lora.key demo1 demo2",
        ])
        XCTAssertTrue(diff.rows.allSatisfy { $0.delta == 0 && $0.paired != nil })
        do {
            _ = try RougeDiff.between(commits[1], nil, in: repo, files: files)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.description.contains("has no metrics/demo/rouge.json"), error.description)
        }
    }

    func testRevisionWithoutMetricsIsAnErrorNamingIt() throws {
        do {
            _ = try RougeDiff.between(commits[0], commits[1], in: repo)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .missingInput)
            XCTAssertTrue(error.description.contains(String(commits[0].prefix(12))), error.description)
            XCTAssertTrue(error.description.contains("has no metrics/rouge.json"), error.description)
        }
    }

    func testUnknownRevisionIsAUsageError() throws {
        do {
            _ = try RougeDiff.between("no-such-branch", nil, in: repo)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .usage)
            XCTAssertTrue(error.description.contains("unknown revision \"no-such-branch\""), error.description)
        }
    }

    func testCorruptMetricsAtRevisionIsBadInput() throws {
        try dir.write("repo/metrics/rouge.json", "{\"format\": 3}\n")
        do {
            _ = try RougeDiff.between(nil, nil, in: repo)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .badInput)
            XCTAssertTrue(error.description.contains("metrics/rouge.json at working tree"), error.description)
        }
    }

    /// A config with `base:` is compared with its base's values merged as PipelineConfig merges them, not as `base = …`.
    func testConfigBaseChainIsMergedAtEachRevision() throws {
        try fixture.write("conf/demo.yaml", "base: ../pipeline.yaml\ntrain:\n  epochs: 1\nlora:\n  targets: [q]\n")
        try fixture.commitAll("demo config")
        let files = DiffFiles(config: "conf/demo.yaml", metricsDirectory: "metrics")
        let head = try RougeDiff.snapshot(of: GitRepository(containing: repo), at: "HEAD", files: files)
        // every key of the base, the demo's own over it, a list replaced as a whole, no `base` entry
        XCTAssertEqual(head.configParameters, ["train.lr": "5e-4", "train.epochs": "1", "lora.r": "32", "lora.targets": "[q]"])

        // Only the base changes: the demo config's diff shows the change, under the demo config's name.
        try fixture.write("pipeline.yaml", "train:\n  lr: 2e-3\n  epochs: 10\nlora:\n  r: 32\n  targets: [q, v, k]\n")
        let diff = try RougeDiff.between(nil, nil, in: repo, files: files)
        XCTAssertEqual(diff.parameterChanges.map { "\($0.source) \($0.key) \($0.a ?? "-") \($0.b ?? "-")" },
                       ["conf/demo.yaml train.lr 5e-4 2e-3"])
    }

    /// The diff merges a chain by `ConfigBaseChain`, as a run's `PipelineConfig` does: the same files give the same
    /// value for every key (here a chain of three, `.yml` among them, with a base in the folder above).
    func testABaseChainMergesAsARunsConfigurationDoes() throws {
        let files = ["pipeline.yaml": BuiltInConfiguration.yaml,
                     "conf/mid.yml": "base: ../pipeline.yaml\nlora:\n  r: 16\n  target_modules: [q, k, v]\ntrain:\n  epochs: 2\n",
                     "conf/top.yaml": "base: mid.yml\ntrain:\n  epochs: 3\n  lr: 0.0005\n"]
        for (path, text) in files { try dir.write("chain/" + path, text) }
        let run = try PipelineConfig.load(path: dir.url.appendingPathComponent("chain/conf/top.yaml").path)
        let diff = try ParameterFlattening.flattenConfig(yaml: files["conf/top.yaml"]!, path: "conf/top.yaml", revision: "HEAD") { files[$0] }
        XCTAssertEqual(Set(diff.keys), Set(run.values.keys))
        for key in ["train.epochs", "train.lr", "lora.r", "lora.target_modules", "train.batch_size"] {
            let written = try XCTUnwrap(diff[key], key)
            XCTAssertEqual(try PipelineConfig.builtIn(overrides: ["\(key)=\(written)"], folder: dir.url).value(key), run.value(key), key)
        }
        XCTAssertEqual(diff["lora.target_modules"], "[q, k, v]")
        XCTAssertEqual(diff["train.epochs"], "3")
    }

    /// A `.yml` configuration's lock is read at each revision under the lock's name, as the stages write it.
    func testAYMLConfigReadsItsLock() throws {
        XCTAssertEqual(DiffFiles(config: "conf/exp.yml").lock, "conf/exp.lock")
        try fixture.write("exp.yml", "base: pipeline.yaml\ntrain:\n  epochs: 1\n")
        try fixture.write("exp.lock", "{\"stages\": {\"train-lora\": {\"key\": \"exp1\", \"params\": {\"train.epochs\": 1}}}}\n")
        let snapshot = try RougeDiff.snapshot(of: GitRepository(containing: repo), at: nil, files: DiffFiles(config: "exp.yml"))
        XCTAssertEqual(snapshot.lockName, "exp.lock")
        XCTAssertEqual(snapshot.settings.identities["train-lora.key"], "exp1")
        XCTAssertEqual(snapshot.settings.settings["train.epochs"]?.source, .run)
    }

    func testBaseThatCannotBeReadIsListedAsWrittenAndACycleIsAnError() throws {
        try fixture.write("pipeline.demo.yaml", "base: missing.yaml\ntrain:\n  epochs: 1\n")
        let repository = try GitRepository(containing: repo)
        let files = DiffFiles(config: "pipeline.demo.yaml")
        XCTAssertEqual(try RougeDiff.snapshot(of: repository, at: nil, files: files).configParameters,
                       ["base": "missing.yaml", "train.epochs": "1"])
        try fixture.write("pipeline.demo.yaml", "base: /etc/pipeline.yaml\n")
        XCTAssertEqual(try RougeDiff.snapshot(of: repository, at: nil, files: files).configParameters, ["base": "/etc/pipeline.yaml"])

        try fixture.write("pipeline.demo.yaml", "base: other.yaml\n")
        try fixture.write("other.yaml", "base: pipeline.demo.yaml\n")
        do {
            _ = try RougeDiff.snapshot(of: repository, at: nil, files: files)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .badInput)
            XCTAssertTrue(error.description.contains("'base:' chain is too deep"), error.description)
        }
    }
}
