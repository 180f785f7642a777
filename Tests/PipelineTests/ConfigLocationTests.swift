import Failures
import Foundation
import JSON
import XCTest
@testable import Pipeline

/// Error lines: one line, control bytes from a malformed input escaped.
final class ErrorLineTests: XCTestCase {
    func testMessagesArePrintableOnOneLine() {
        XCTAssertEqual(printable("dtype \"F\u{0}32\"\r\nnext\u{1B}[2J"), "dtype \"F\\u{0}32\" next\\u{1B}[2J")
        XCTAssertEqual(printable("plain: ünïcode ✓"), "plain: ünïcode ✓")
    }
}

/// Which configuration a tool uses when none is named, and where relative and absolute paths lead.
final class ConfigLocationTests: XCTestCase {
    func testBuiltInTextIsTheRepositoryPipelineYAML() throws {
        let file = try String(contentsOf: TestProject.repoRoot.appendingPathComponent("pipeline.yaml"), encoding: .utf8)
        XCTAssertEqual(BuiltInConfiguration.yaml, file,
                       "pipeline.yaml changed: run scripts/sync_builtin_config.sh to copy it into BuiltInConfiguration.swift")
    }

    func testBuiltInValuesEqualTheRepositoryConfig() throws {
        let file = try PipelineConfig.load(path: TestProject.repoRoot.appendingPathComponent("pipeline.yaml").path)
        let builtIn = try PipelineConfig.builtIn(folder: URL(fileURLWithPath: "/tmp"))
        XCTAssertEqual(builtIn.values, file.values)
        XCTAssertEqual(builtIn.values.count, ParameterSchema.all.count)
        XCTAssertTrue(builtIn.isBuiltIn)
    }

    func testNoConfigMeansPipelineYAMLInTheFolderElseTheBuiltInDefaults() throws {
        let p = try TestProject()
        try p.write("base: ../pipeline.yaml\nruntime:\n  threads: 3\n", to: "here/pipeline.yaml")
        let local = try PipelineConfig.load(file: nil, in: p.root.appendingPathComponent("here"))
        XCTAssertEqual(local.value("runtime.threads"), .int(3))
        XCTAssertFalse(local.isBuiltIn)

        let empty = p.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let builtIn = try PipelineConfig.load(file: nil, overrides: ["runtime.threads=5"], in: empty)
        XCTAssertTrue(builtIn.isBuiltIn)
        XCTAssertEqual(builtIn.value("runtime.threads"), .int(5))
        XCTAssertEqual(builtIn.folder, empty.standardizedFileURL)
        XCTAssertEqual(builtIn.lockURL, empty.appendingPathComponent("pipeline.lock").standardizedFileURL)
    }

    func testANamedConfigThatDoesNotExistIsMissingInput() throws {
        let p = try TestProject()
        XCTAssertThrowsError(try PipelineConfig.load(file: "nope.yaml", in: p.root)) { e in
            XCTAssertEqual((e as? PipelineError)?.status, .missingInput)
            XCTAssertEqual((e as? PipelineError)?.status.rawValue, 66)
            XCTAssertTrue("\(e)".contains("nope.yaml"), "\(e)")
        }
    }

    func testAbsoluteBaseIsUsedAsIs() throws {
        let p = try TestProject()
        let base = p.root.appendingPathComponent("pipeline.yaml").path
        try p.write("base: \(base)\nlora:\n  r: 4\n", to: "deep/er/x.yaml")
        let c = try PipelineConfig.load(path: p.root.appendingPathComponent("deep/er/x.yaml").path)
        XCTAssertEqual(c.value("lora.r"), .int(4))
        XCTAssertEqual(c.value("train.lr"), .double(0.001))
    }

    /// A stage whose input and output live under paths.data, as every real stage's do.
    func runDataStage(_ args: [String], in directory: URL) throws -> StageResult {
        let run = try StageRun(stage: "toy", formatVersion: 1, options: try StageOptions.parse(["--quiet"] + args),
                               root: directory)
        let input = try run.input("source", path: run.dataPath("in.txt"))
        return try run.execute(outputs: [StageOutput("out.txt", at: run.dataPath("toy/out.txt"))]) { ws in
            try (String(contentsOf: input, encoding: .utf8) + "!").write(to: ws.url(for: "out.txt"), atomically: false,
                                                                         encoding: .utf8)
            return [:]
        }
    }

    func testAnAbsoluteDataPathIsUsedAsIs() throws {
        let p = try TestProject()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("abs-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "hi".write(to: data.appendingPathComponent("in.txt"), atomically: true, encoding: .utf8)
        _ = try runDataStage(["--set", "paths.data=\(data.path)"], in: p.root)
        XCTAssertEqual(try String(contentsOf: data.appendingPathComponent("toy/out.txt"), encoding: .utf8), "hi!")
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.appendingPathComponent("toy/toy.manifest.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.appendingPathComponent("store").path))
        // Nothing under the project folder with the absolute path appended to it.
        let joined = p.root.appendingPathComponent(String(data.path.dropFirst()))
        XCTAssertFalse(FileManager.default.fileExists(atPath: joined.path), joined.path)
        // The next run finds the published output where the first one put it.
        XCTAssertTrue(try runDataStage(["--set", "paths.data=\(data.path)"], in: p.root).cacheHit)
    }

    func testRelativePathsAreRelativeToTheConfigFilesFolder() throws {
        let p = try TestProject()
        try p.write("base: ../pipeline.yaml\npaths:\n  data: work\n", to: "experiments/exp.yaml")
        try p.write("hi", to: "experiments/work/in.txt")
        // Run from the project folder, and from an unrelated one with an absolute --config: the same files.
        let first = try runDataStage(["--config", "experiments/exp.yaml"], in: p.root)
        XCTAssertEqual(try p.read("experiments/work/toy/out.txt"), "hi!")
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.root.appendingPathComponent("experiments/exp.lock").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.root.appendingPathComponent("work").path))
        let elsewhere = FileManager.default.temporaryDirectory
        let second = try runDataStage(["--config", p.root.appendingPathComponent("experiments/exp.yaml").path], in: elsewhere)
        XCTAssertTrue(second.cacheHit)
        XCTAssertEqual(second.key, first.key)
    }
}
