import Foundation
import XCTest
@testable import Pipeline

/// `pipeline-report status` and `params`: what a rerun would do and why, and where each setting comes from.
final class PipelineStatusTests: XCTestCase {
    /// A second toy stage downstream of TestProject's: reads data/toy/out.txt, writes data/toy2/out.txt.
    func runDownstream(_ p: TestProject, _ args: [String] = []) throws {
        let run = try StageRun(stage: "toy2", formatVersion: 1, options: try p.options(args), root: p.root)
        let input = try run.input("upstream", path: "data/toy/out.txt")
        try run.execute(outputs: [StageOutput("out.txt", at: "data/toy2/out.txt")]) { ws in
            try (String(contentsOf: input, encoding: .utf8) + "!").write(to: ws.url(for: "out.txt"), atomically: false, encoding: .utf8)
            return .null
        }
    }

    func status(_ p: TestProject, _ overrides: [String] = []) throws -> [String: PipelineStatus.Stage] {
        let config = try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path, overrides: overrides)
        let status = PipelineStatus(config: config, instances: ["toy", "toy2"], directory: p.root)
        return Dictionary(uniqueKeysWithValues: status.stages.map { ($0.instance, $0) })
    }

    func testEachReasonToRerunIsNamedAndFollowsTheGraph() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        XCTAssertEqual(try status(p)["toy"]?.state, .missing)

        _ = try p.runToyStage(calls: &calls)
        try runDownstream(p)
        var s = try status(p)
        XCTAssertEqual(s["toy"], .init(instance: "toy", state: .upToDate, key: s["toy"]?.key, cached: true, reasons: []))
        XCTAssertEqual(s["toy2"]?.state, .upToDate)

        // a parameter the stage read, now set otherwise: the stage and what it feeds
        s = try status(p, ["lora.r=8"])
        XCTAssertEqual(s["toy"]?.state, .stale)
        XCTAssertEqual(s["toy"]?.reasons, ["lora.r: ran with 32, --set now says 8"])
        XCTAssertEqual(s["toy2"]?.reasons, ["upstream toy is stale"])

        // an input that changed
        try p.write("y", to: "in/source.txt")
        XCTAssertEqual(try status(p)["toy"]?.reasons, ["input in/source.txt changed"])
        try p.write("x", to: "in/source.txt")
        XCTAssertEqual(try status(p)["toy"]?.state, .upToDate)

        // another run's files at the stable paths (a stage rerun alone with --set, the lock restored from git)
        let lock = try Data(contentsOf: p.root.appendingPathComponent("pipeline.lock"))
        _ = try p.runToyStage(["--set", "lora.r=8"], calls: &calls)
        try lock.write(to: p.root.appendingPathComponent("pipeline.lock"))
        s = try status(p)
        XCTAssertEqual(s["toy"]?.reasons.count, 2, "\(s["toy"]!.reasons)")
        XCTAssertTrue(s["toy"]?.reasons.first?.hasPrefix("the files at its paths are another run's (") ?? false)
        XCTAssertEqual(s["toy"]?.reasons.last, "output data/toy/out.txt changed")
        XCTAssertTrue(s["toy"]?.cached ?? false, "the lock's entry is still in the store: a rerun only exposes it")

        // a missing output
        _ = try p.runToyStage(calls: &calls)
        try FileManager.default.removeItem(at: p.root.appendingPathComponent("data/toy2/out.txt"))
        s = try status(p)
        XCTAssertEqual(s["toy"]?.state, .upToDate)
        XCTAssertEqual(s["toy2"]?.reasons, ["output data/toy2/out.txt is missing"])

        let text = PipelineStatus(config: try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path),
                                  instances: ["toy", "toy2"], directory: p.root).render()
        XCTAssertTrue(text.hasPrefix("stage   state        key            cached   why\n"), text)
        XCTAssertTrue(text.hasSuffix("\nstatus: 1 of 2 stages of pipeline.yaml would rerun: toy2\n"), text)
    }

    /// Errors that find no run name the configurations whose locks record one (a user who ran only the demo).
    func testHintAtOtherRunsNamesLocksWithAScoredRun() throws {
        let p = try TestProject()
        let lock = p.root.appendingPathComponent("pipeline.lock")
        XCTAssertEqual(LockFile.hintAtOtherRuns(in: p.root, except: lock), "")
        try p.write("{\"stages\": {\"score-rouge\": {\"key\": \"k\"}}}", to: "pipeline.demo.lock")
        XCTAssertEqual(LockFile.hintAtOtherRuns(in: p.root, except: lock), "", "a lock without its config is not named")
        try p.write("base: pipeline.yaml\n", to: "pipeline.demo.yaml")
        try p.write("{\"stages\": {\"tokenize\": {\"key\": \"k\"}}}", to: "other.lock")
        try p.write("base: pipeline.yaml\n", to: "other.yml")
        XCTAssertEqual(LockFile.hintAtOtherRuns(in: p.root, except: lock),
                       " (pipeline.demo.lock records a run: --config pipeline.demo.yaml, CONFIG=pipeline.demo.yaml in make)")
        XCTAssertEqual(LockFile.hintAtOtherRuns(in: p.root, except: p.root.appendingPathComponent("pipeline.demo.lock")), "")
    }

    func testParamsNameTheFileThatSetEachValueAndTheOverrides() throws {
        let demo = TestProject.repoRoot.appendingPathComponent("pipeline.demo.yaml")
        let config = try PipelineConfig.load(path: demo.path, overrides: ["lora.r=8", "train.lr=0.005"])
        let listing = ParameterListing(config: config, file: try PipelineConfig.load(path: demo.path), directory: TestProject.repoRoot)
        let byKey = Dictionary(uniqueKeysWithValues: listing.entries.map { ($0.key, $0) })
        XCTAssertEqual(byKey["lora.r"], .init(key: "lora.r", value: "8", setIn: "--set", fileValue: "32"))
        // a --set that repeats the files' value is still named, with no "files say"
        XCTAssertEqual(byKey["train.lr"], .init(key: "train.lr", value: "0.005", setIn: "--set", fileValue: nil))
        XCTAssertEqual(byKey["train.epochs"]?.setIn, "pipeline.demo.yaml")
        XCTAssertEqual(byKey["train.beta1"]?.setIn, "pipeline.yaml", "from the base: chain")
        XCTAssertEqual(listing.entries.count, ParameterSchema.all.count)
        let text = listing.render(json: false)
        XCTAssertTrue(text.contains("--set (the files say 32)"), text)
        XCTAssertTrue(text.hasSuffix("\n2 set with --set (SET=… in make)\n"), text)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listing.render(json: true).utf8)) as? [String: [String: String]])
        XCTAssertEqual(json["lora.r"], ["value": "8", "set_in": "--set", "file_value": "32"])
    }
}
