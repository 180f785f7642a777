import Failures
import Foundation
import Pipeline
import XCTest
@testable import Experiments

/// What a diff or sweep says a run used: the lock's records by parameter, the file's value beside them.
final class RunSettingsTests: XCTestCase {
    static let lock = """
    {"stages": {
      "train-lora": {"key": "k-train", "outputs": {"data/adapter/adapter_model.safetensors": "h1"},
                     "params": {"lora.r": 8, "lora.target_modules": ["q", "v"], "lora.rank_pattern": {},
                                "train.lr": 0.005, "runtime.threads": 4},
                     "summary": {"kept": {"rule": "best", "step": 188, "validation_loss": 1.145500659942627,
                                          "metric": "rouge1", "validation_rouge1": 0.59113}}},
      "generate-lora": {"key": "k-gen", "params": {"runtime.threads": 2, "generation.num_beams": 1}}
    }}
    """

    func settings(config: [String: String], inputs: [String: String] = [:]) throws -> RunSettings {
        RunSettings(config: config, lock: try LockFile.stages(in: Data(Self.lock.utf8)), inputs: inputs, label: "HEAD (abc)")
    }

    func testTheLockSaysWhatTheRunUsedAndTheFileIsShownWhereItDiffers() throws {
        let s = try settings(config: ["lora.r": "32", "lora.target_modules": "[q, v]", "train.lr": "5e-3",
                                      "paths.data": "data", "generation.num_beams": "1"])
        // an override: the run used 8, the file says 32
        XCTAssertEqual(s.settings["lora.r"], .init(value: "8", source: .run, file: "32"))
        XCTAssertEqual(s.settings["lora.r"]?.text, "8 (file: 32)")
        // the same value written otherwise is no difference: a list in flow style, a number in other digits
        XCTAssertEqual(s.settings["lora.target_modules"], .init(value: "[q, v]", source: .run))
        XCTAssertEqual(s.settings["train.lr"], .init(value: "0.005", source: .run))
        XCTAssertEqual(s.settings["lora.rank_pattern"], .init(value: "{}", source: .run))
        // a key no stage records: the file's value
        XCTAssertEqual(s.settings["paths.data"], .init(value: "data", source: .file))
        // what train-lora's summary records about the published adapter, under short names
        XCTAssertEqual(s.settings["kept_step"]?.value, "188")
        XCTAssertEqual(s.settings["val_loss"]?.value, "1.145500659942627")
        // kept by generated ROUGE: its value beside val_loss; the metric's name is train.metric_for_best_model's
        XCTAssertEqual(s.settings["val_rouge1"]?.value, "0.59113")
        XCTAssertNil(s.settings["train-lora.kept.metric"])
        XCTAssertEqual(s.identities["train-lora.key"], "k-train")
        XCTAssertEqual(s.identities["train-lora.outputs.data/adapter/adapter_model.safetensors"], "h1")
    }

    func testStagesThatRecordedDifferentValuesAreMixed() throws {
        let s = try settings(config: ["runtime.threads": "2"])
        let threads = try XCTUnwrap(s.settings["runtime.threads"])
        XCTAssertTrue(threads.mixed)
        XCTAssertEqual(threads.text, "2 (generate-lora) | 4 (train-lora) (file: 2)")
        XCTAssertEqual(s.notes, ["HEAD (abc): the stages recorded different values of runtime.threads (a stage was rerun alone with other settings)"])
    }

    func testScoresOfOtherStageResultsThanTheLockRecordsAreStale() throws {
        XCTAssertEqual(try settings(config: [:], inputs: ["train-lora.key": "k-train", "generate-lora.key": "k-gen"]).notes.count, 1)
        let s = try settings(config: [:], inputs: ["train-lora.key": "k-old", "generate-lora.key": "k-gen"])
        XCTAssertEqual(s.identities["scored.train-lora.key"], "k-old")
        XCTAssertEqual(s.notes.first, "HEAD (abc): the scores were computed from train-lora k-old (the lock records k-train): "
                       + "a stage was rerun since, so these scores do not belong to these settings (rerun score-rouge)")
    }

    func testTablesRoundLongNumbersAndCutHashes() {
        XCTAssertEqual(RunSettings.display("1.145500659942627"), "1.1455")
        XCTAssertEqual(RunSettings.display("-0.123456789"), "-0.12346")
        for kept in ["0.005", "1e-08", "188", "8 (file: 32)", "2 (generate-lora) | 4 (train-lora)", "[q, v]", "data/demo", "2.5.1", "1234567"] {
            XCTAssertEqual(RunSettings.display(kept), kept)
        }
        XCTAssertEqual(RunSettings.display("lr 0.0012345678 (file: 1e-3)"), "lr 0.0012346 (file: 1e-3)")
        XCTAssertEqual(RunSettings.display(String(repeating: "ab12", count: 16)), "ab12ab12ab12")
        XCTAssertEqual(RunSettings.shortened("abcdef", to: 4), "abc…")
        XCTAssertEqual(RunSettings.shortened("abc", to: 4), "abc")
    }

    /// A committed config nested 5,000 deep is one error, not a crash in Yams' recursion (issue 33, item 7).
    func testDeepNestingInACommittedConfigIsAnError() {
        let yaml = "train:\n  lr: " + String(repeating: "{a: ", count: 5000) + "1" + String(repeating: "}", count: 5000) + "\n"
        XCTAssertThrowsError(try ParameterFlattening.flattenConfig(yaml: yaml, path: "deep.yaml", revision: "HEAD") { _ in nil }) { e in
            XCTAssertEqual((e as? PipelineError)?.description, "deep.yaml at HEAD: YAML nested more than 128 levels deep")
        }
    }

    /// A committed config read by the diff is untrusted: an alias bomb (each level ten of the one below) is not
    /// written out in full.
    func testAnAliasBombIsNotExpanded() throws {
        var yaml = "x: &l0 [a, a, a, a, a, a, a, a, a, a]\n"
        for level in 1...9 { yaml += "y\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        yaml += "train:\n  lr: *l9\n"
        let values = try ParameterFlattening.flattenConfig(yaml: yaml, path: "bomb.yaml", revision: "HEAD") { _ in nil }
        XCTAssertEqual(values["train.lr"], "(a value too large or deep to show)")
        XCTAssertEqual(values["x"], "[a, a, a, a, a, a, a, a, a, a]")
    }
}
