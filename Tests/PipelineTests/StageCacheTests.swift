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
            // a corrupt cache, told apart from a recomputation that differs; the line names the entry, not the tool
            XCTAssertEqual((error as? PipelineError)?.message,
                           "--verify: cached bytes corrupt (hash mismatch) in out.txt; a run without --verify recomputes the entry")
            XCTAssertEqual((error as? PipelineError)?.path, p.root.appendingPathComponent("data/store/\(first.key)").path)
        }
    }

    /// A failed run leaves no empty work folder, and an error about a file it was writing names the output's stable
    /// path, not the store's temporary one (issue 33, item 14).
    func testAFailedRunLeavesNoEmptyWorkFolderAndNamesTheStablePath() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        XCTAssertThrowsError(try p.runToyStage(calls: &calls, fail: true))
        let work = p.root.appendingPathComponent("data/store/.work")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? [], [])

        let run = try StageRun(stage: "toy", formatVersion: 1, options: try p.options(), root: p.root)
        _ = run.params.int("lora.r")
        XCTAssertThrowsError(try run.execute(outputs: [StageOutput("out.txt", at: "data/toy/out.txt")]) { ws in
            throw PipelineError.io("No space left on device", path: ws.url(for: "out.txt").path)
        }) { error in
            XCTAssertEqual((error as? PipelineError)?.description,
                           "\(p.root.appendingPathComponent("data/toy/out.txt").path): No space left on device")
        }
        let other = try StageRun(stage: "toy", formatVersion: 2, options: try p.options(), root: p.root)
        XCTAssertThrowsError(try other.execute(outputs: [StageOutput("out.txt", at: "data/toy/out.txt")]) { ws in
            throw PipelineError.io("No space left on device", path: ws.url(for: "scratch/part.bin").path)
        }) { error in
            XCTAssertEqual((error as? PipelineError)?.description, "No space left on device (while writing scratch/part.bin into the store)")
        }
    }

    /// A recomputation that gives other bytes than the (intact) cached entry is a reproducibility failure.
    func testVerifySaysWhenTheRecomputationDiffers() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        let first = try p.runToyStage(calls: &calls)
        // the same key whose computation now writes other bytes (as a nondeterministic stage would)
        let run = try StageRun(stage: "toy", formatVersion: 1, options: try p.options(["--verify"]), root: p.root)
        _ = run.params.int("lora.r")
        _ = try run.input("source", path: "in/source.txt")
        XCTAssertThrowsError(try run.execute(outputs: [StageOutput("out.txt", at: "data/toy/out.txt")]) { ws in
            try "other bytes".write(to: ws.url(for: "out.txt"), atomically: false, encoding: .utf8)
            return .null
        }) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .verifyMismatch)
            XCTAssertEqual((error as? PipelineError)?.message,
                           "--verify: recomputation differs from the cached entry in out.txt (not reproducible here with these settings)")
            XCTAssertEqual((error as? PipelineError)?.path, p.root.appendingPathComponent("data/store/\(first.key)").path)
        }
    }

    /// `--verify` is a check: it publishes nothing, exposes nothing and leaves the lock as it was; with nothing
    /// cached it says so rather than filling the cache.
    func testVerifyPublishesAndExposesNothing() throws {
        let p = try TestProject()
        try p.write("x", to: "in/source.txt")
        var calls = 0
        XCTAssertThrowsError(try p.runToyStage(["--verify"], calls: &calls)) { error in
            XCTAssertEqual((error as? PipelineError)?.status, .missingInput)
            XCTAssertTrue((error as? PipelineError)?.message.hasPrefix("--verify: nothing cached for toy under ") ?? false, "\(error)")
        }
        XCTAssertEqual(calls, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.root.appendingPathComponent("pipeline.lock").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: p.root.appendingPathComponent("data/store").path)
            .filter { !$0.hasPrefix(".") }, [])

        _ = try p.runToyStage(calls: &calls)
        let lock = try Data(contentsOf: p.root.appendingPathComponent("pipeline.lock"))
        // another run's output at the stable path, and a verify of the r=32 key: the stable file stays as it is
        _ = try p.runToyStage(["--set", "lora.r=8"], calls: &calls)
        let lockAfterOverride = try Data(contentsOf: p.root.appendingPathComponent("pipeline.lock"))
        XCTAssertNotEqual(lock, lockAfterOverride)
        let verified = try p.runToyStage(["--verify"], calls: &calls)
        XCTAssertEqual(calls, 3)
        XCTAssertTrue(verified.cacheHit)
        XCTAssertEqual(try p.read("data/toy/out.txt"), "x r=8")
        XCTAssertEqual(try Data(contentsOf: p.root.appendingPathComponent("pipeline.lock")), lockAfterOverride)
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
