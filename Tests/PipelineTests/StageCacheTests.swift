import Failures
import JSON
import XCTest
@testable import Pipeline

final class StageCacheTests: XCTestCase {
    func testSecondRunIsAHitAndDoesNoWork() throws {
        let p = try TestProject()
        try p.write("hello", to: "in/source.txt")
        var calls = 0
        let first = try p.runToyStage(calls: &calls)
        XCTAssertFalse(first.cacheHit)
        XCTAssertEqual(try p.read("data/toy/out.txt"), "hello r=32")
        let second = try p.runToyStage(calls: &calls)
        XCTAssertTrue(second.cacheHit)
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(first.key, second.key)
        let manifest = try JSONValue.parse(Data(try p.read("data/toy/toy.manifest.json").utf8))
        XCTAssertEqual(manifest["cache_hit"], .bool(true))
        XCTAssertEqual(manifest["key"]?.stringValue, first.key)
        XCTAssertEqual(manifest["summary"]?["length"], .int(10))
    }

    func testTouchingAnInputWithSameContentIsAHit() throws {
        let p = try TestProject()
        try p.write("hello", to: "in/source.txt")
        var calls = 0
        _ = try p.runToyStage(calls: &calls)
        Thread.sleep(forTimeInterval: 0.01)
        try p.write("hello", to: "in/source.txt")  // new inode and mtime, same bytes
        XCTAssertTrue(try p.runToyStage(calls: &calls).cacheHit)
        try p.write("hello!", to: "in/source.txt")
        XCTAssertFalse(try p.runToyStage(calls: &calls).cacheHit)
        XCTAssertEqual(calls, 2)
    }

    func testOnlyParametersTheStageReadsChangeTheKey() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        let base = try p.runToyStage(calls: &calls)
        let other = try p.runToyStage(["--set", "generation.num_beams=4"], calls: &calls)
        XCTAssertTrue(other.cacheHit)
        XCTAssertEqual(base.key, other.key)
        let changed = try p.runToyStage(["--set", "lora.r=8"], calls: &calls)
        XCTAssertFalse(changed.cacheHit)
        XCTAssertEqual(try p.read("data/toy/out.txt"), "x r=8")
        // Going back to the earlier value reuses the earlier result.
        XCTAssertTrue(try p.runToyStage(calls: &calls).cacheHit)
        XCTAssertEqual(try p.read("data/toy/out.txt"), "x r=32")
        XCTAssertEqual(calls, 2)
    }

    func testForceRecomputes() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        _ = try p.runToyStage(calls: &calls)
        XCTAssertFalse(try p.runToyStage(["--force"], calls: &calls).cacheHit)
        XCTAssertEqual(calls, 2)
    }

    func testFailedRunLeavesNoEntryAndNoTemp() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        XCTAssertThrowsError(try p.runToyStage(calls: &calls, fail: true))
        let store = p.root.appendingPathComponent("data/store")
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(entries, [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent(".tmp").path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.root.appendingPathComponent("data/toy/out.txt").path))
        XCTAssertFalse(try p.runToyStage(calls: &calls).cacheHit)
    }

    func testKilledRunsTempDirectoryIsSweptAndNextRunRecovers() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        // What a run killed with SIGKILL between writing and publishing leaves behind:
        // a temp dir named after a pid that no longer exists.
        let dead = p.root.appendingPathComponent("data/store/.tmp/abc.999999.1/outputs")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        try "partial".write(to: dead.appendingPathComponent("out.txt"), atomically: false, encoding: .utf8)
        var calls = 0
        XCTAssertFalse(try p.runToyStage(calls: &calls).cacheHit)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path))
        XCTAssertEqual(try p.read("data/toy/out.txt"), "x r=32")
    }

    func testVerifyDetectsAChangedCachedOutput() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        let first = try p.runToyStage(calls: &calls)
        XCTAssertNoThrow(try p.runToyStage(["--verify"], calls: &calls))
        // Tamper with the stored output but keep its size and stat identity plausible:
        // overwrite in place, then restore the recorded mtime so only a rehash can tell.
        let stored = p.root.appendingPathComponent("data/store/\(first.key)/outputs/out.txt")
        chmod(stored.path, 0o644)
        try "y r=32".write(to: stored, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try p.runToyStage(["--verify"], calls: &calls)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .verifyMismatch)
        }
    }

    func testCorruptedEntryIsRecomputed() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        let first = try p.runToyStage(calls: &calls)
        let stored = p.root.appendingPathComponent("data/store/\(first.key)/outputs/out.txt")
        chmod(stored.path, 0o644)
        try "z r=32".write(to: stored, atomically: false, encoding: .utf8)
        XCTAssertFalse(try p.runToyStage(calls: &calls).cacheHit)
        XCTAssertEqual(try p.read("data/toy/out.txt"), "x r=32")
    }

    func testLockFileRecordsKeyAndOutputs() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        let r = try p.runToyStage(calls: &calls)
        let lock = try JSONValue.parse(Data(try p.read("pipeline.lock").utf8))
        XCTAssertEqual(lock["stages"]?["toy"]?["key"]?.stringValue, r.key)
        XCTAssertEqual(lock["stages"]?["toy"]?["outputs"]?["data/toy/out.txt"]?.stringValue,
                       Digest.sha256("x r=32"))
        XCTAssertEqual(lock["stages"]?["toy"]?["params"]?["lora.r"], .int(32))
    }
}
