import Foundation
import XCTest
@testable import Pipeline

/// What a stage removes when it ends early (an error, SIGINT, SIGTERM): its temp folders always, its work folder only
/// when no checkpoint is in it.
final class TempDirectoryGuardTests: XCTestCase {
    func testAWorkFolderIsRemovedOnlyWhenEmptyAndATempFolderAlways() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        func folder(_ name: String, withFile: Bool) throws -> URL {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            if withFile { try Data("state".utf8).write(to: url.appendingPathComponent("state.json")) }
            return url
        }
        let emptyWork = try folder("empty-work", withFile: false)
        let keptWork = try folder("work-with-checkpoint", withFile: true)
        let temp = try folder("temp", withFile: true)
        TempDirectoryGuard(emptyWork, onlyIfEmpty: true).remove()
        TempDirectoryGuard(keptWork, onlyIfEmpty: true).remove()
        TempDirectoryGuard(temp).remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: emptyWork.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: keptWork.appendingPathComponent("state.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.path))
    }
}
