import Foundation
import Pipeline
import Report
import Rouge
import XCTest
@testable import Stages

/// A shortened `make demo`: every stage on pipeline.demo.yaml and the shipped demo assets,
/// with few examples and steps, then the whole graph again, which must be all cache hits.
final class DemoPipelineTests: XCTestCase {
    func testShortenedDemoGraphRunsAndIsCachedTheSecondTime() throws {
        let p = try StageTestProject()
        try p.copyDemoAssets()
        let args = ["--config", "pipeline.demo.yaml", "--set", "tokenize.subset_every=25", "--set", "train.max_steps=4",
                    "--set", "generation.limit=6", "--set", "generation.max_new_tokens=12", "--set", "runtime.threads=1",
                    "--set", "rouge.bootstrap_samples=100"]
        func graph() throws -> [StageResult] {
            var results = [try FetchSamsumStage.run(try p.options(args), root: p.root),
                           try FetchModelStage.run(try p.options(args), root: p.root),
                           try TokenizeStage.run(try p.options(args), root: p.root),
                           try TrainLoRAStage.run(try p.options(args), resume: true, root: p.root),
                           try GenerateStage.run(try p.options(args), variant: .base, root: p.root),
                           try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)]
            let (score, table) = try ScoreRougeStage.run(try p.options(args), root: p.root)
            results.append(score)
            XCTAssertTrue(table.contains("rouge1") && table.contains("lora"), table)
            return results
        }
        let first = try graph()
        XCTAssertTrue(first.allSatisfy { !$0.cacheHit })
        for path in ["data/demo/samsum/test.jsonl", "data/demo/model/model.safetensors", "data/demo/tokens/train.safetensors",
                     "data/demo/adapter/adapter_model.safetensors", "data/demo/adapter/adapter_config.json",
                     "data/demo/adapter/log.jsonl", "data/demo/predictions/base.jsonl", "data/demo/predictions/lora.jsonl",
                     "metrics/demo/rouge.json", "metrics/demo/rouge-per-example.jsonl", "pipeline.demo.lock"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: p.url(path).path), path)
        }
        let second = try graph()
        XCTAssertTrue(second.allSatisfy(\.cacheHit), "\(second.map(\.cacheHit))")
        XCTAssertEqual(first.map(\.key), second.map(\.key))

        // ROUGE-Lsum on nltk's sentences: another key, which the lock records, and the same ROUGE-1; back to
        // newline (keyed as before the setting existed) is the first run's entry again.
        func metrics() throws -> RougeMetrics {
            try RougeReport.decodeMetrics(Data(contentsOf: p.url("metrics/demo/rouge.json")), path: "rouge.json")
        }
        func lock() throws -> String { try String(contentsOf: p.url("pipeline.demo.lock"), encoding: .utf8) }
        let newline = try metrics()
        XCTAssertFalse(try lock().contains("rouge.lsum_split"))
        let (sentences, _) = try ScoreRougeStage.run(try p.options(args + ["--set", "rouge.lsum_split=sentences"]), root: p.root)
        XCTAssertFalse(sentences.cacheHit)
        XCTAssertNotEqual(sentences.key, second.last?.key)
        XCTAssertEqual(try metrics().scorer.lsumSentenceSplit, "sentences")
        XCTAssertEqual(try metrics().systems["lora"]?.rouge[.rouge1], newline.systems["lora"]?.rouge[.rouge1])
        XCTAssertTrue(try lock().contains("rouge.lsum_split"))
        let (back, _) = try ScoreRougeStage.run(try p.options(args), root: p.root)
        XCTAssertTrue(back.cacheHit)
        XCTAssertEqual(back.key, second.last?.key)
        XCTAssertEqual(try metrics(), newline)

        let report = try RunReport.write(configFile: "pipeline.demo.yaml", directory: p.root)
        let text = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(text.contains("| train-lora |") && text.contains("hit"), text)
        // pipeline.demo.yaml keeps the best evaluation; with 4 steps that is the only one, after the last step.
        XCTAssertTrue(text.contains("Published adapter: step 4, validation loss ") && text.contains("`train.keep: best`"), text)
        let svg = try String(contentsOf: report.deletingLastPathComponent().appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains(">published adapter: step 4</text>"), "the kept step is marked on the chart")
        // The parameters are what the stages ran with (the lock), not the file's: the --set values, marked.
        XCTAssertTrue(text.contains("| `train.max_steps` | `4` ≠ | train-lora | `0` |"), text)
        XCTAssertTrue(text.contains("| `lora.r` | `32` | train-lora | same |"), text)
        XCTAssertFalse(text.contains("Mixed run"), text)
        // Where LoRA wins and loses (the randomization test, length groups, extremes) and the tutorial's 10-dialogue row.
        XCTAssertTrue(text.contains("## Where the fine-tuned model wins and loses") && text.contains("p (randomization)")
                      && text.contains("rouge1 by dialogue length"), text)
        XCTAssertTrue(text.contains("## The tutorial's protocol beside the whole split") && text.contains("| rouge1 | first "), text)

        // One stage rerun with another setting: the report says the run is mixed, and names the --set it was given.
        _ = try TrainLoRAStage.run(try p.options(args + ["--set", "runtime.threads=2"]), resume: true, root: p.root)
        let mixed = try String(contentsOf: try RunReport.write(configFile: "pipeline.demo.yaml", overrides: ["train.max_steps=4"],
                                                               directory: p.root), encoding: .utf8)
        XCTAssertTrue(mixed.contains("**Mixed run:**") && mixed.contains("`runtime.threads`"), mixed)
        XCTAssertTrue(mixed.contains("| `runtime.threads` | `2` | train-lora | same |") && mixed.contains("| `runtime.threads` | `1` ≠ |"), mixed)
        XCTAssertTrue(mixed.contains("(this report was made with `--set train.max_steps=4`)"), mixed)
        // ... and that the scores came from the adapter before that rerun.
        XCTAssertTrue(mixed.contains("**Stale scores:** these metrics were computed from train-lora `"), mixed)
        XCTAssertFalse(text.contains("Stale scores"), text)
    }
}
