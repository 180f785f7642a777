import Failures
import Foundation
import JSON
import XCTest
@testable import Pipeline

final class LockFileTests: XCTestCase {
    /// Every stage rewrites the whole lock file. Another stage's integral doubles (`lora.alpha: 32.0`)
    /// must come back as doubles, or the file flips between `32.0` and `32` with whichever stage ran
    /// last (it did, when the lock was read through JSONDecoder).
    func testAnotherStagesEntryKeepsItsBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lockfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lock = LockFile(url: dir.appendingPathComponent("pipeline.lock"))
        try lock.update(instance: "train-lora", record: ["params": ["lora.alpha": .double(32), "lora.r": .int(32)]])
        let first = try String(contentsOf: lock.url, encoding: .utf8)
        XCTAssertTrue(first.contains("\"lora.alpha\": 32.0"), first)
        XCTAssertTrue(first.contains("\"lora.r\": 32"), first)

        try lock.update(instance: "generate-lora", record: ["params": ["generation.length_penalty": .double(1)]])
        XCTAssertEqual(lock.read()["train-lora"], ["params": ["lora.alpha": .double(32), "lora.r": .int(32)]])
        try lock.update(instance: "generate-lora", record: ["params": ["generation.length_penalty": .double(1)]])
        let second = try String(contentsOf: lock.url, encoding: .utf8)
        try lock.update(instance: "train-lora", record: ["params": ["lora.alpha": .double(32), "lora.r": .int(32)]])
        XCTAssertEqual(try String(contentsOf: lock.url, encoding: .utf8), second, "rewriting the same entries changes nothing")
    }

    /// The config -> lock rule, both ways: `.yaml` and `.yml` alike, in every place that names a configuration's lock.
    func testAConfigsLockIsItsNameWithoutYAMLOrYMLPlusLock() throws {
        XCTAssertEqual(LockFile.path(forConfig: "pipeline.yaml"), "pipeline.lock")
        XCTAssertEqual(LockFile.path(forConfig: "pipeline.yml"), "pipeline.lock")
        XCTAssertEqual(LockFile.path(forConfig: "conf/pipeline.demo.yml"), "conf/pipeline.demo.lock")
        XCTAssertEqual(LockFile.path(forConfig: "odd.json"), "odd.json.lock")
        XCTAssertEqual(LockFile.configNames(forLock: "pipeline.demo.lock"), ["pipeline.demo.yaml", "pipeline.demo.yml"])
        XCTAssertNil(LockFile.configNames(forLock: "pipeline.lock.lck"))
        for config in ["pipeline.yaml", "pipeline.yml", "x.yml"] {
            XCTAssertEqual(LockFile.configNames(forLock: LockFile.path(forConfig: config))?.contains(config), true, config)
        }

        // a run of a .yml configuration records into its lock, and an error elsewhere names it
        let p = try TestProject()
        try p.write("base: pipeline.yaml\n", to: "exp.yml")
        let config = try PipelineConfig.load(path: p.root.appendingPathComponent("exp.yml").path)
        XCTAssertEqual(config.lockURL.lastPathComponent, "exp.lock")
        try LockFile(url: config.lockURL).update(instance: "score-rouge", record: ["key": "k"])
        XCTAssertEqual(LockFile.hintAtOtherRuns(in: p.root, except: p.root.appendingPathComponent("pipeline.lock")),
                       " (exp.lock records a run: --config exp.yml, CONFIG=exp.yml in make)")
    }

    /// One reader: a lock's bytes from git at a revision and the lock on disk give the same records.
    func testALocksBytesAndTheLockOnDiskReadTheSame() throws {
        let p = try TestProject()
        let lock = LockFile(url: p.root.appendingPathComponent("pipeline.lock"))
        try lock.update(instance: "train-lora", record: ["key": "k", "params": ["train.lr": .double(0.001), "lora.r": .int(8)]])
        XCTAssertEqual(try LockFile.stages(in: Data(contentsOf: lock.url)), lock.read())
        XCTAssertEqual(lock.read()["train-lora"]?["params"]?["train.lr"], .double(0.001))
        XCTAssertEqual(try LockFile.stages(in: Data("{\"version\": 1}".utf8)), [:], "a lock without stages records none")

        XCTAssertThrowsError(try LockFile.stages(in: Data("stages:\n  tokenize: {}\n".utf8), path: "pipeline.lock at HEAD")) { e in
            XCTAssertEqual((e as? PipelineError)?.status, .badInput)
            XCTAssertTrue("\(e)".hasPrefix("pipeline.lock at HEAD: malformed JSON"), "\(e)")
        }
        try "not json".write(to: lock.url, atomically: true, encoding: .utf8)
        XCTAssertEqual(lock.read(), [:], "an unreadable lock on disk records no run")
    }
}
