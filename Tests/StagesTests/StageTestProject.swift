import Dataset
import Foundation
import JSON
import Pipeline

/// A throwaway project directory with the repository's pipeline.yaml, for running stages
/// in-process exactly as their executables do.
struct StageTestProject {
    let root: URL

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stage-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for f in ["pipeline.yaml"] {
            try FileManager.default.copyItem(at: StageTestProject.repoRoot.appendingPathComponent(f),
                                             to: root.appendingPathComponent(f))
        }
    }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(at: url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url(path))
    }

    func copy(repoFile: String, to path: String) throws {
        try FileManager.default.createDirectory(at: url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: url(path))
        try FileManager.default.copyItem(at: StageTestProject.repoRoot.appendingPathComponent(repoFile), to: url(path))
    }

    /// pipeline.demo.yaml and the shipped demo assets it reads (corpus, model), at their repository paths.
    func copyDemoAssets() throws {
        for f in ["pipeline.demo.yaml", "demo/corpus.7z", "demo/model/config.json", "demo/model/model.safetensors",
                  "demo/model/spiece.model"] {
            try copy(repoFile: f, to: f)
        }
    }

    func options(_ args: [String]) throws -> StageOptions { try StageOptions.parse(["--quiet"] + args) }

    /// Writes SAMSum-shaped JSONL splits with `n` examples each.
    func writeSplits(_ n: Int) throws {
        for split in ["train", "validation", "test"] {
            var text = ""
            for i in 0..<n {
                text += JSONLines.line([("id", "\(split)-\(i)"),
                                        ("dialogue", "Amanda: Can you buy milk at the supermarket?\r\nJerry: sure \(i)"),
                                        ("summary", "Jerry will buy milk at the supermarket for Amanda.")])
            }
            try write(text, to: "data/samsum/\(split).jsonl")
        }
    }
}

import TestSupport
import XCTest

/// The package's built executables, run as a user runs them.
extension StageTestProject {
    /// The built product `name` (make test builds every product; `BuiltProducts` says how when it is missing).
    static func executable(_ name: String) throws -> URL { try BuiltProducts.executable(name) }

    /// Starts `program` in `folder`; stdout is discarded, stderr goes to `stderr` (or is discarded).
    static func start(_ program: String, _ arguments: [String], in folder: URL, stderr: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = try executable(program)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardError = stderr ?? FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `program` in `folder` to its end: its exit status, stdout and stderr.
    static func runCapturing(_ program: String, _ arguments: [String], in folder: URL) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try executable(program)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // stderr read on another thread: a full pipe would block the tool while stdout is read here
        final class Box: @unchecked Sendable { var data = Data() }
        let errData = Box(), group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.data, as: UTF8.self))
    }

    /// Runs `program` in `folder` to its end: its exit status and what it wrote on stderr.
    static func run(_ program: String, _ arguments: [String], in folder: URL) throws -> (status: Int32, stderr: String) {
        let err = Pipe()
        let process = try start(program, arguments, in: folder, stderr: err)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

import DemoAssets
import Stages

extension StageTestProject {
    /// A tiny model of the demo architecture (seconds to train in a debug build).
    static var tinyRecipe: DemoModelRecipe {
        var r = DemoModelRecipe()
        r.dModel = 32; r.dKV = 8; r.numHeads = 4; r.dFF = 64; r.numLayers = 1; r.numDecoderLayers = 1
        return r
    }

    /// Generated dialogues, a tiny model, fetch-model and tokenize done: ready for train-lora.
    func prepareForTraining(examples: Int = 24, extra: [String] = []) throws -> [String] {
        var g = DialogueGenerator(seed: 5)
        for split in ["train", "validation", "test"] {
            let rows = g.split(split == "train" ? examples : 6, idBase: 100)
            try write(rows.map { JSONLines.line([("id", $0.id), ("dialogue", $0.dialogue), ("summary", $0.summary)]) }.joined(),
                      to: "data/samsum/\(split).jsonl")
        }
        try StageTestProject.tinyRecipe.writeInitialModel(
            to: url("tiny-model"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        let args = ["--set", "tokenize.subset_every=1", "--set", "train.batch_size=4", "--set", "train.epochs=2",
                    "--set", "lora.r=4", "--set", "runtime.threads=1", "--set", "generation.max_new_tokens=8"] + extra
        try FetchModelStage.run(try options(args), localDirectory: "tiny-model", root: root)
        try TokenizeStage.run(try options(args), root: root)
        return args
    }
}
