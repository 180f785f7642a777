import Dataset
import Foundation
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
