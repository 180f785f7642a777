import Corpus
import DemoAssets
import Failures
import Foundation
import Pipeline
import XCTest
@testable import Stages

final class FetchStagesTests: XCTestCase {
    /// A small corpus.7z and the --set flags that pin it.
    func makeArchive(_ p: StageTestProject) throws -> [String] {
        let rec = { (n: Int, s: String) in (0..<n).map { DialogueRecord(id: "\(s)\($0)", dialogue: "A: hi\r\nB: yo \($0)", summary: "They greet.") } }
        try SamsumArchive.write(splits: [.train: rec(5, "t"), .validation: rec(2, "v"), .test: rec(3, "x")],
                                to: p.url("in/corpus.7z"))
        let sha = try Digest.sha256(fileAt: p.url("in/corpus.7z"))
        let size = try FileManager.default.attributesOfItem(atPath: p.url("in/corpus.7z").path)[.size] as! Int
        return ["--set", "samsum.sha256=\(sha)", "--set", "samsum.size=\(size)"]
    }

    func testLocalArchiveBecomesExactJSONLAndIsCached() throws {
        let p = try StageTestProject()
        try FileManager.default.createDirectory(at: p.url("in"), withIntermediateDirectories: true)
        let pin = try makeArchive(p)
        let r = try FetchSamsumStage.run(try p.options(pin), archive: "in/corpus.7z", root: p.root)
        XCTAssertEqual(r.summary["counts"]?["train"], .int(5))
        let test = try String(contentsOf: p.url("data/samsum/test.jsonl"), encoding: .utf8)
        XCTAssertTrue(test.hasPrefix(#"{"id":"x0","dialogue":"A: hi\r\nB: yo 0","summary":"They greet."}"#), test)
        // A cache hit needs neither the archive nor the network.
        try FileManager.default.removeItem(at: p.url("in/corpus.7z"))
        XCTAssertTrue(try FetchSamsumStage.run(try p.options(pin), root: p.root).cacheHit)
    }

    func testDigestMismatchNamesBothDigests() throws {
        let p = try StageTestProject()
        try FileManager.default.createDirectory(at: p.url("in"), withIntermediateDirectories: true)
        var pin = try makeArchive(p)
        let actual = String(pin[1].split(separator: "=")[1])
        pin[1] = "samsum.sha256=" + String(repeating: "0", count: 64)
        XCTAssertThrowsError(try FetchSamsumStage.run(try p.options(pin), archive: "in/corpus.7z", root: p.root)) { e in
            XCTAssertEqual((e as? PipelineError)?.status, .integrity)
            XCTAssertTrue("\(e)".contains(actual) && "\(e)".contains(String(repeating: "0", count: 64)), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/samsum/train.jsonl").path))
    }

    func testTruncatedArchiveIsBadInput() throws {
        let p = try StageTestProject()
        try FileManager.default.createDirectory(at: p.url("in"), withIntermediateDirectories: true)
        _ = try makeArchive(p)
        let bytes = try Data(contentsOf: p.url("in/corpus.7z"))
        try bytes.prefix(bytes.count / 2).write(to: p.url("in/corpus.7z"))
        let sha = try Digest.sha256(fileAt: p.url("in/corpus.7z"))
        XCTAssertThrowsError(try FetchSamsumStage.run(
            try p.options(["--set", "samsum.sha256=\(sha)", "--set", "samsum.size=\(bytes.count / 2)"]),
            archive: "in/corpus.7z", root: p.root)) { e in
            XCTAssertEqual((e as? PipelineError)?.status, .badInput, "\(e)")
        }
    }

    func testLocalModelIsValidatedAndPublished() throws {
        let p = try StageTestProject()
        try DemoModelRecipe().writeInitialModel(to: p.url("m"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        let r = try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root)
        XCTAssertEqual(r.summary["parameters"], .int(1_115_904))
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.url("data/model/model.safetensors").path))
        XCTAssertTrue(try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root).cacheHit)
    }

    /// The user's own model folder is read, never linked into the store or made read-only.
    func testALocalModelFolderIsLeftAsItWas() throws {
        let p = try StageTestProject()
        try DemoModelRecipe().writeInitialModel(to: p.url("m"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        let names = ["config.json", "model.safetensors", "spiece.model"]
        func state() throws -> [[String]] {
            try names.map { name in
                let path = p.url("m/\(name)").path
                var st = stat()
                XCTAssertEqual(stat(path, &st), 0)
                return [String(st.st_mode & 0o7777, radix: 8), String(st.st_nlink), try Digest.sha256(fileAt: URL(fileURLWithPath: path))]
            }
        }
        let before = try state()
        XCTAssertEqual(before.map { $0[1] }, ["1", "1", "1"])
        try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root)
        XCTAssertTrue(try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root).cacheHit)
        XCTAssertEqual(try state(), before)
        // Rewriting the user's file in place leaves the published copy alone.
        let handle = try FileHandle(forWritingTo: p.url("m/config.json"))
        try handle.write(contentsOf: Data("{}".utf8))
        try handle.close()
        XCTAssertNotEqual(try Data(contentsOf: p.url("data/model/config.json")), try Data(contentsOf: p.url("m/config.json")))
    }

    func testModelOfAnotherArchitectureIsRejected() throws {
        let p = try StageTestProject()
        try DemoModelRecipe().writeInitialModel(to: p.url("m"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        try p.write(#"{"model_type": "bert", "hidden_size": 8}"#, to: "m/config.json")
        XCTAssertThrowsError(try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("config.json"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/model/config.json").path))
    }

    func testTruncatedWeightsAreRejected() throws {
        let p = try StageTestProject()
        try DemoModelRecipe().writeInitialModel(to: p.url("m"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        let w = try Data(contentsOf: p.url("m/model.safetensors"))
        try w.prefix(w.count - 100).write(to: p.url("m/model.safetensors"))
        XCTAssertThrowsError(try FetchModelStage.run(try p.options([]), localDirectory: "m", root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("model.safetensors"), "\(e)")
        }
    }
}
