import Foundation
import XCTest
@testable import Stages

/// Two configurations sharing `paths.data` (each with its own lock and metrics), run at once for several rounds: every
/// output equals a lone run's (issue 33, item 2: one config's score-rouge scored the other's predictions in five of six
/// rounds of `make all` run twice at once). Stages read what their own lock records (LockedInputs).
final class ConcurrentConfigsTests: XCTestCase {
    func testTwoConfigsAtOnceGiveEachALoneRunsOutputs() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "runtime.threads=1", "--set", "train.max_steps=2",
                                                                 "--set", "generation.batch_size=2", "--set", "rouge.bootstrap_samples=20"])
        // b.yaml: the same data folder, other predictions (beam search, shorter), its own metrics
        try p.write("base: pipeline.yaml\npaths:\n  metrics: metrics/b\n  reports: reports/b\ngeneration:\n  num_beams: 2\n"
                    + "  max_new_tokens: 4\n", to: "b.yaml")
        let configs = [["--config", "pipeline.yaml"], ["--config", "b.yaml"]]
        let metrics = ["metrics/rouge.json", "metrics/b/rouge.json"]
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        try TrainLoRAStage.run(try p.options(configs[1] + args), root: p.root)

        /// One config's generate (base, LoRA) and score-rouge, as a shell runs `make`'s steps.
        func chain(_ config: [String], force: Bool) throws -> String {
            let extra = (["--quiet"] + config + args + (force ? ["--force"] : [])).map { "'\($0)'" }.joined(separator: " ")
            let generate = try StageTestProject.executable("generate").path, score = try StageTestProject.executable("score-rouge").path
            return "\(generate) --variant base \(extra) && \(generate) --variant lora \(extra) && \(score) run \(extra)"
        }
        func runAll(_ commands: [String]) throws {
            let processes = try commands.map { command -> (Process, Pipe) in
                let process = Process(), err = Pipe()
                process.executableURL = URL(fileURLWithPath: "/bin/bash")
                process.arguments = ["-c", command]
                process.currentDirectoryURL = p.root
                process.standardError = err
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                return (process, err)
            }
            for (process, err) in processes {
                let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, text)
            }
        }

        // each alone
        var lone: [Data] = []
        for (config, path) in zip(configs, metrics) {
            try runAll([try chain(config, force: false)])
            lone.append(try Data(contentsOf: p.url(path)))
        }
        XCTAssertNotEqual(lone[0], lone[1], "the two configs score different predictions")
        // both at once, recomputing every time (each run rewrites the shared predictions files while the other reads)
        for round in 0..<3 {
            for path in metrics { try FileManager.default.removeItem(at: p.url(path)) }
            try runAll(try configs.map { try chain($0, force: true) })
            for (path, expected) in zip(metrics, lone) {
                XCTAssertEqual(try Data(contentsOf: p.url(path)), expected, "\(path) in round \(round)")
            }
        }
    }

    /// A stable file edited by hand after its run is not what a later stage reads: it reads the run's store entry.
    func testATamperedStableFileIsNotRead() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "runtime.threads=1", "--set", "train.max_steps=2",
                                                                 "--set", "generation.batch_size=2", "--set", "rouge.bootstrap_samples=20"])
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        let before = try GenerateStage.run(try p.options(args + ["--force"]), variant: .lora, root: p.root)
        let adapter = p.url("data/adapter/adapter_model.safetensors")
        let bytes = try Data(contentsOf: adapter)
        try FileManager.default.removeItem(at: adapter)  // the exposed file is a read-only link into the store
        try (bytes.prefix(bytes.count - 4) + Data([0, 0, 0, 0])).write(to: adapter)
        let after = try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        XCTAssertEqual(after.key, before.key, "the key of the recorded adapter, not of the edited file")
        XCTAssertTrue(after.cacheHit)
    }
}
