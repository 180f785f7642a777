import Dataset
import Pipeline
import XCTest
@testable import Stages

final class TokenizeStageTests: XCTestCase {
    func testTokenizesEverySplitWithPromptSubsetAndEOS() throws {
        let p = try StageTestProject()
        try p.writeSplits(30)
        try p.copy(repoFile: "demo/spiece.model", to: "data/model/spiece.model")
        let r = try TokenizeStage.run(try p.options(["--set", "tokenize.max_target_length=5"]), root: p.root)
        XCTAssertFalse(r.cacheHit)
        let test = try TokenFile.read(path: p.url("data/tokens/test.safetensors").path, vocabularySize: 512)
        XCTAssertEqual(test.ids, ["test-0", "test-12", "test-24"])
        XCTAssertTrue(test.sources.allSatisfy { $0.last == 1 && $0.count > 10 })
        XCTAssertTrue(test.labels.allSatisfy { $0.count == 5 && $0.last == 1 })
        XCTAssertEqual(r.summary["test"]?["truncated_labels"], .int(3))
        XCTAssertEqual(test.metadata["prompt"], "Summarize the following conversation.\n\n{dialogue}\n\nSummary: ")
        // Same inputs: a hit. A generation setting: still a hit. A tokenize setting: a miss.
        XCTAssertTrue(try TokenizeStage.run(try p.options(["--set", "tokenize.max_target_length=5"]), root: p.root).cacheHit)
        XCTAssertTrue(try TokenizeStage.run(try p.options(["--set", "tokenize.max_target_length=5",
                                                            "--set", "generation.num_beams=3"]), root: p.root).cacheHit)
        XCTAssertFalse(try TokenizeStage.run(try p.options([]), root: p.root).cacheHit)
    }

    func testMissingFieldIsOneClearError() throws {
        let p = try StageTestProject()
        try p.writeSplits(3)
        try p.write("{\"id\":\"x\",\"dialogue\":\"hi\"}\n", to: "data/samsum/test.jsonl")
        try p.copy(repoFile: "demo/spiece.model", to: "data/model/spiece.model")
        XCTAssertThrowsError(try TokenizeStage.run(try p.options(["--set", "tokenize.subset_every=1"]), root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("test.jsonl: line 1: field 'summary' is missing"), "\(e)")
        }
    }

    func testCorruptModelIsAnError() throws {
        let p = try StageTestProject()
        try p.writeSplits(3)
        try p.write("not a protobuf at all", to: "data/model/spiece.model")
        XCTAssertThrowsError(try TokenizeStage.run(try p.options([]), root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("spiece.model"), "\(e)")
        }
    }
}
