import Foundation
import XCTest

/// The tools for people, run as built from a folder outside the repository with no configuration:
/// they use the built-in defaults and give the same bytes as run from the repository root.
final class StandaloneToolsTests: XCTestCase {
    func tool(_ name: String) throws -> String {
        _ = try StageTestProject.executable(name)
        return name
    }

    func run(_ program: String, _ arguments: [String], in folder: URL) throws -> (status: Int32, stderr: String) {
        try StageTestProject.run(program, arguments, in: folder)
    }

    /// A fresh folder under the system's temp directory (outside the repository), with no pipeline.yaml.
    func outsideFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("standalone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        XCTAssertFalse(url.path.hasPrefix(StageTestProject.repoRoot.path))
        return url
    }

    static let dialogues = """
        {"id":"a","dialogue":"Anna: Are you coming to the party tonight?\\r\\nBen: Yes, I'll bring the cake."}
        {"id":"b","dialogue":"Tom: The train is late again.\\r\\nMia: I'll wait for you at the station."}

        """

    func testGenerateAndScoreRougeFromAFolderOutsideTheRepository() throws {
        let generate = try tool("generate"), scoreRouge = try tool("score-rouge")
        let repo = StageTestProject.repoRoot, model = repo.appendingPathComponent("demo/model").path
        let outside = try outsideFolder()
        try Self.dialogues.write(to: outside.appendingPathComponent("dialogues.jsonl"), atomically: true, encoding: .utf8)
        let quick = ["--quiet", "--set", "generation.max_new_tokens=12"]

        // Relative paths, no --config, no pipeline.yaml: the built-in defaults.
        let here = try run(generate, ["summarize", "--model", model, "--input", "dialogues.jsonl", "--output", "out.jsonl"] + quick,
                           in: outside)
        XCTAssertEqual(here.status, 0, here.stderr)
        // From the repository root (its pipeline.yaml), into another folder.
        let other = try outsideFolder()
        let root = try run(generate, ["summarize", "--model", model, "--input", outside.appendingPathComponent("dialogues.jsonl").path,
                                      "--output", other.appendingPathComponent("out.jsonl").path] + quick, in: repo)
        XCTAssertEqual(root.status, 0, root.stderr)
        let a = try Data(contentsOf: outside.appendingPathComponent("out.jsonl"))
        XCTAssertEqual(a, try Data(contentsOf: other.appendingPathComponent("out.jsonl")))
        XCTAssertEqual(String(decoding: a, as: UTF8.self).split(separator: "\n").count, 2)

        // score-rouge on those files, from outside, against references written there.
        let refs = #"""
            {"id":"a","summary":"Ben will bring the cake to the party."}
            {"id":"b","summary":"Mia will wait for Tom at the station."}

            """#
        try refs.write(to: outside.appendingPathComponent("refs.jsonl"), atomically: true, encoding: .utf8)
        let scored = try run(scoreRouge, ["compare", "--base", "out.jsonl", "--lora", "out.jsonl", "--references", "refs.jsonl",
                                          "--output", "metrics"], in: outside)
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let fromRoot = try run(scoreRouge, ["compare", "--base", outside.appendingPathComponent("out.jsonl").path,
                                            "--lora", outside.appendingPathComponent("out.jsonl").path,
                                            "--references", outside.appendingPathComponent("refs.jsonl").path,
                                            "--output", other.appendingPathComponent("metrics").path], in: repo)
        XCTAssertEqual(fromRoot.status, 0, fromRoot.stderr)
        // The same scores; "inputs" records the paths as each command line gave them.
        func scores(_ folder: URL) throws -> NSDictionary {
            let data = try Data(contentsOf: folder.appendingPathComponent("metrics/rouge.json"))
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertNotNil(object.removeValue(forKey: "inputs"))
            return object as NSDictionary
        }
        XCTAssertEqual(try scores(outside), try scores(other))
        XCTAssertEqual(try Data(contentsOf: outside.appendingPathComponent("metrics/rouge-per-example.jsonl")),
                       try Data(contentsOf: other.appendingPathComponent("metrics/rouge-per-example.jsonl")))
    }

    func testDuplicateIdsInTheInputAreAnErrorNamingBothLines() throws {
        let generate = try tool("generate")
        let outside = try outsideFolder()
        try (Self.dialogues + #"{"id":"a","dialogue":"Anna: again"}"# + "\n")
            .write(to: outside.appendingPathComponent("dialogues.jsonl"), atomically: true, encoding: .utf8)
        let r = try run(generate, ["summarize", "--model", StageTestProject.repoRoot.appendingPathComponent("demo/model").path,
                                   "--input", "dialogues.jsonl", "--output", "o.jsonl", "--quiet"], in: outside)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 3: duplicate id \"a\" (first on line 1)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.appendingPathComponent("o.jsonl").path))
    }

    func testANamedConfigThatDoesNotExistExits66() throws {
        let generate = try tool("generate")
        let outside = try outsideFolder()
        try Self.dialogues.write(to: outside.appendingPathComponent("dialogues.jsonl"), atomically: true, encoding: .utf8)
        let r = try run(generate, ["summarize", "--config", "missing.yaml", "--model", "m", "--input", "dialogues.jsonl", "--output", "o.jsonl"],
                        in: outside)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("missing.yaml"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.appendingPathComponent("o.jsonl").path))
    }
}
