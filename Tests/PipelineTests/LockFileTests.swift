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
}
