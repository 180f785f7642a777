import Foundation
@testable import Pipeline
import XCTest

/// Every stage of the demo graph, SIGKILLed at several points of its run (start-up, compute, publish,
/// exposure: fractions of an uninterrupted run's time) and then rerun as `make` reruns it: after each
/// kill the store holds only complete, verifying entries and a stable path is either absent or the
/// uninterrupted run's bytes; the rerun succeeds with those bytes and leaves no temporaries behind.
final class KillAndRerunTests: XCTestCase {
    struct Stage {
        var program: String
        var arguments: [String]
        /// Its reproducible outputs (the training log records wall-clock times and is left out).
        var outputs: [String]
    }

    /// Shortened demo settings, the same for every stage so that the keys chain.
    static let settings = ["--config", "pipeline.demo.yaml", "--quiet", "--set", "runtime.threads=1",
                           "--set", "train.max_steps=6", "--set", "train.checkpoint_every=2", "--set", "generation.limit=12"]

    static let stages: [Stage] = [
        Stage(program: "fetch-samsum", arguments: settings,
              outputs: ["train", "validation", "test"].map { "data/demo/samsum/\($0).jsonl" }),
        Stage(program: "fetch-model", arguments: settings,
              outputs: ["config.json", "model.safetensors", "spiece.model"].map { "data/demo/model/\($0)" }),
        Stage(program: "tokenize", arguments: ["run"] + settings,
              outputs: ["train", "validation", "test"].map { "data/demo/tokens/\($0).safetensors" }),
        Stage(program: "train-lora", arguments: ["--resume"] + settings,
              outputs: ["adapter_model.safetensors", "adapter_config.json"].map { "data/demo/adapter/\($0)" }),
        Stage(program: "generate", arguments: ["--variant", "base"] + settings, outputs: ["data/demo/predictions/base.jsonl"]),
        Stage(program: "generate", arguments: ["--variant", "lora"] + settings, outputs: ["data/demo/predictions/lora.jsonl"]),
        Stage(program: "score-rouge", arguments: ["run"] + settings,
              outputs: ["metrics/demo/rouge.json", "metrics/demo/rouge-per-example.jsonl"]),
    ]

    func project() throws -> StageTestProject {
        let p = try StageTestProject()
        try p.copyDemoAssets()
        return p
    }

    func start(_ stage: Stage, in p: StageTestProject, force: Bool = false) throws -> Process {
        try StageTestProject.start(stage.program, stage.arguments + (force ? ["--force"] : []), in: p.root)
    }

    /// Every entry in the store is complete and still has its recorded content.
    func assertStoreHoldsOnlyCompleteEntries(_ p: StageTestProject, _ context: String) {
        let store = Store(root: p.url("data/demo/store"))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: store.root.path)) ?? []
        for key in names where !key.hasPrefix(".") {
            XCTAssertNotNil(store.verifiedEntry(key), "\(context): entry \(key.prefix(12)) is incomplete or changed")
        }
    }

    /// Temporaries a run leaves while it works: store temp dirs, `.name.tmp-pid-…` and `.name.link-pid` files.
    func leftovers(_ p: StageTestProject) -> [String] {
        var found: [String] = []
        let e = FileManager.default.enumerator(atPath: p.root.path)
        while let path = e?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.contains(".tmp-") || name.contains(".link-") { found.append(path) }
            if path.hasPrefix("data/demo/store/.tmp/"), !path.dropFirst("data/demo/store/.tmp/".count).contains("/") {
                found.append(path)
            }
        }
        return found
    }

    func testEveryStageKilledAtSeveralPointsRerunsToTheUninterruptedBytes() throws {
        let reference = try project(), killed = try project()
        for stage in Self.stages {
            let what = "\(stage.program) \(stage.arguments.prefix(2).joined(separator: " "))"
            // The faster of two uninterrupted runs: the first run of a freshly built binary can take several
            // times as long (cold pages), and kill points scaled from it would come after most attempts ended.
            var seconds = Double.infinity
            for force in [false, true] {
                let began = Date()
                let uninterrupted = try start(stage, in: reference, force: force)
                uninterrupted.waitUntilExit()
                seconds = min(seconds, Date().timeIntervalSince(began))
                XCTAssertEqual(uninterrupted.terminationStatus, 0, what)
            }
            let expected = try stage.outputs.map { try Data(contentsOf: reference.url($0)) }

            var killedWhileRunning = 0
            for fraction in [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95] {
                // --force: each attempt computes and publishes again (over an entry a previous attempt may have
                // published); train-lora instead resumes from the last attempt's checkpoint, as `make` runs it.
                let process = try start(stage, in: killed, force: stage.program != "train-lora")
                Thread.sleep(forTimeInterval: seconds * fraction)
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    killedWhileRunning += 1
                }
                process.waitUntilExit()
                let context = "\(what) killed at \(Int(fraction * 100))%"
                assertStoreHoldsOnlyCompleteEntries(killed, context)
                for (path, bytes) in zip(stage.outputs, expected) {
                    guard let present = FileManager.default.contents(atPath: killed.url(path).path) else { continue }
                    XCTAssertEqual(present, bytes, "\(context): \(path) is there with other bytes")
                }
            }
            XCTAssertGreaterThanOrEqual(killedWhileRunning, 3, "\(what) finished before most kills (\(seconds) s)")

            let rerun = try start(stage, in: killed)
            rerun.waitUntilExit()
            XCTAssertEqual(rerun.terminationStatus, 0, "\(what) rerun")
            for (path, bytes) in zip(stage.outputs, expected) {
                XCTAssertEqual(FileManager.default.contents(atPath: killed.url(path).path), bytes, "\(what) rerun: \(path)")
            }
            XCTAssertEqual(leftovers(killed), [], "\(what) rerun left temporaries")
            assertStoreHoldsOnlyCompleteEntries(killed, "\(what) rerun")
        }
    }
}
