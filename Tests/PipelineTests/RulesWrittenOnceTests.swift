import Foundation
import XCTest
@testable import Pipeline

/// Four rules live in one file each (issue 34, item 5). Another copy once grew in Experiments beside Pipeline's; these
/// scans of the product's Swift sources (and the fuzz harnesses that compile them) fail when one comes back.
final class RulesWrittenOnceTests: XCTestCase {
    /// The config -> lock name: only `LockFile` spells a config's extensions or the lock's.
    func testOnlyLockFileNamesLocks() throws {
        XCTAssertEqual(try Self.files(matching: #""\.(yaml|yml|lock)""#), ["Sources/Pipeline/LockFile.swift"])
    }

    /// Reading a lock: only `LockFile` opens its `stages`, on disk or from git.
    func testOnlyLockFileReadsALocksStages() throws {
        XCTAssertEqual(try Self.files(matching: #""stages""#), ["Sources/Pipeline/LockFile.swift"])
    }

    /// `base:` merging: only `ConfigBaseChain` knows the key's name, the chain's limit and its error.
    func testOnlyConfigBaseChainKnowsTheBaseKey() throws {
        XCTAssertEqual(try Self.files(matching: #"==\s*"base"|"base"\s*==|case "base"|chain is too deep"#),
                       ["Sources/Pipeline/ConfigBaseChain.swift"])
    }

    /// The stage list: no other file names three or more stage instances.
    func testOnlyPipelineStageListsTheStages() throws {
        var listing: [String] = []
        for (path, text) in try Self.sources() {
            let named = PipelineStage.instances.filter { text.contains("\"\($0)\"") }
            if named.count >= 3 { listing.append(path) }
        }
        XCTAssertEqual(listing, ["Sources/Pipeline/PipelineStage.swift"])
    }

    /// The scans read what they must: the product's sources and the fuzz harnesses (each test above also finds its
    /// rule's own file, so a pattern that matched nothing would fail too).
    func testTheScanReadsSourcesAndScripts() throws {
        let sources = try Self.sources()
        XCTAssertGreaterThan(sources.count, 100, "the scan found too few sources")
        XCTAssertTrue(sources.contains { $0.path == "scripts/fuzz/config.swift" })
    }

    /// The Swift files of `Sources/` and `scripts/` whose text matches `pattern`, sorted.
    static func files(matching pattern: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        return try sources().filter { regex.firstMatch(in: $0.text, range: NSRange($0.text.startIndex..., in: $0.text)) != nil }
            .map(\.path).sorted()
    }

    /// Every Swift file under Sources/ and scripts/, by its path in the repository.
    static func sources() throws -> [(path: String, text: String)] {
        let root = TestProject.repoRoot
        var out: [(path: String, text: String)] = []
        for folder in ["Sources", "scripts"] {
            guard let walk = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walk where url.pathExtension == "swift" {
                let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
                out.append((path, try String(contentsOf: url, encoding: .utf8)))
            }
        }
        return out.sorted { $0.path < $1.path }
    }
}
