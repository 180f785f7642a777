import Failures
import Foundation
@testable import Pipeline

/// A throwaway project directory holding a copy of the repository's pipeline.yaml.
struct TestProject {
    let root: URL

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestProject.repoRoot.appendingPathComponent("pipeline.yaml"),
                                         to: root.appendingPathComponent("pipeline.yaml"))
    }

    func write(_ text: String, to path: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func options(_ args: [String] = []) throws -> StageOptions { try StageOptions.parse(["--quiet"] + args) }

    /// A toy stage: reads `lora.r`, one input file, writes `out.txt` = input + r.
    /// `calls` counts how often it really computed.
    func runToyStage(_ args: [String] = [], calls: inout Int,
                     fail: Bool = false) throws -> StageResult {
        let run = try StageRun(stage: "toy", formatVersion: 1, options: try options(args), root: root)
        let r = run.params.int("lora.r")
        let input = try run.input("source", path: "in/source.txt")
        var n = calls
        defer { calls = n }
        return try run.execute(outputs: [StageOutput("out.txt", at: "data/toy/out.txt")]) { ws in
            n += 1
            let text = try String(contentsOf: input, encoding: .utf8) + " r=\(r)"
            try text.write(to: ws.url(for: "out.txt"), atomically: false, encoding: .utf8)
            if fail { throw PipelineError.badInput("simulated failure after writing") }
            return ["length": .int(text.count)]
        }
    }
}
