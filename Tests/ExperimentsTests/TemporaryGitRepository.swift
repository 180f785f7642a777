import Foundation
import Experiments
import Rouge
import TestSupport
import XCTest

/// A git repository in a temporary directory, for the tests of what `score-rouge diff` reads at revisions.
struct TemporaryGitRepository {
    let directory: TemporaryDirectory
    /// The repository's top level, `<directory>/repo`.
    var url: URL { directory.url.appendingPathComponent("repo") }

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try git("init", "-q")
    }

    /// Runs git in the repository and returns its trimmed stdout (a non-zero exit throws, failing the test).
    @discardableResult
    func git(_ arguments: String...) throws -> String { try Git.run(arguments, in: url) }

    /// Commits everything in the working tree and returns the commit's hash.
    @discardableResult
    func commitAll(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
        return try git("rev-parse", "HEAD")
    }

    @discardableResult
    func write(_ path: String, _ text: String) throws -> URL { try directory.write("repo/" + path, text) }

    /// metrics/rouge.json and rouge-per-example.jsonl (or under `metrics`) for base and the given LoRA predictions.
    @discardableResult
    func writeMetrics(lora: [(String, String)], inputs: [String: String], metrics: String = "metrics") throws -> RougeMetrics {
        let r = try directory.writeRows("in/refs.jsonl", field: "summary", SampleData.references)
        let b = try directory.writeRows("in/base.jsonl", field: "prediction", SampleData.base)
        let l = try directory.writeRows("in/lora.jsonl", field: "prediction", lora)
        let report = try RougeEvaluation.evaluate(systems: [SystemInput(name: "base", predictions: b),
                                                            SystemInput(name: "lora", predictions: l)],
                                                  references: r, inputs: inputs)
        try report.write(to: url.appendingPathComponent(metrics))
        return report.metrics
    }
}
