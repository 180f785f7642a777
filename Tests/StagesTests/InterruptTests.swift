import Foundation
import XCTest
@testable import Stages

/// SIGINT and SIGTERM end a stage with exit 130, its interruption line, and no temporary folder or output left. The
/// handler only writes to a pipe that a watcher thread (started before the run) reads, so a process that can start no
/// more threads still ends (issue 33, item 8: the Dispatch handler needed a new thread).
final class InterruptTests: XCTestCase {
    func testSIGINTAndSIGTERMEndARunWith130AndNoTemporaries() throws {
        let p = try StageTestProject()
        let args = ["--quiet"] + (try p.prepareForTraining(examples: 24, extra: ["--set", "train.max_steps=100000",
                                                                                 "--set", "train.checkpoint_every=1000000"]))
        let temporaries = p.url("data/store/.tmp")
        for signal in [SIGINT, SIGTERM] {
            let err = Pipe()
            let process = try StageTestProject.start("train-lora", args, in: p.root, stderr: err)
            // wait until it computes: its temporary folder exists
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline,
                  ((try? FileManager.default.contentsOfDirectory(atPath: temporaries.path)) ?? []).isEmpty {
                usleep(20_000)
            }
            usleep(300_000)  // some steps into the loop
            XCTAssertTrue(process.isRunning, "train-lora ended before the signal")
            kill(process.processIdentifier, signal)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "ended by its handler, not by the signal (\(signal))")
            XCTAssertEqual(process.terminationStatus, 130, text)
            XCTAssertTrue(text.hasPrefix("train-lora: interrupted; no output was published"), text)
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: temporaries.path)) ?? [], [], "signal \(signal)")
            // a work folder stays only with a checkpoint in it (one at every epoch end here), never empty
            for folder in (try? FileManager.default.contentsOfDirectory(atPath: p.url("data/store/.work").path)) ?? [] {
                let inside = try FileManager.default.contentsOfDirectory(atPath: p.url("data/store/.work/\(folder)").path)
                XCTAssertFalse(inside.isEmpty, "signal \(signal): an empty work folder was left")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/adapter/adapter_model.safetensors").path))
        }
    }
}
