import Foundation
import XCTest

/// The tools' one vocabulary (README, "The tools' vocabulary"): every stage tool runs its stage with and without
/// `run` and takes the same options, a bad command line is one error line with exit 64, standalone verbs name
/// the configuration and settings they used, and the old spellings work with one deprecation line.
final class VocabularyTests: XCTestCase {
    static let stageTools = ["fetch-samsum", "fetch-model", "tokenize", "train-lora", "generate", "score-rouge", "pipeline-report"]
    static let allTools = stageTools + ["demo-assets"]

    func outsideFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocabulary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    /// An unknown option, a missing value, an unknown subcommand: `<program>: error: <problem> (see <program> --help)`,
    /// alone on stderr, exit 64 (the parser printed an "Error:" line, a usage block and a hint).
    func testABadCommandLineIsOneLineWithExit64InEveryTool() throws {
        let folder = try outsideFolder()
        for tool in Self.allTools {
            for arguments in [["--no-such-option"], ["run", "--config"], ["no-such-verb", "x"]] {
                let r = try StageTestProject.run(tool, arguments, in: folder)
                let what = "\(tool) \(arguments.joined(separator: " ")): \(r.stderr)"
                XCTAssertEqual(r.status, 64, what)
                XCTAssertEqual(lines(r.stderr).count, 1, what)
                XCTAssertTrue(r.stderr.hasPrefix("\(tool): error: "), what)
                XCTAssertTrue(r.stderr.hasSuffix(" (see \(tool) --help)\n"), what)
                XCTAssertFalse(r.stderr.contains("Usage:") || r.stderr.contains("USAGE:"), what)
            }
        }
        let r = try StageTestProject.run("score-rouge", ["--no-such-option"], in: folder)
        XCTAssertEqual(r.stderr, "score-rouge: error: unknown option '--no-such-option' (see score-rouge --help)\n")
        // `--output -` is stdout where the output is one stream; a tool whose output is not says so and writes nothing
        for verb in ["corpus", "init-model"] {
            let r = try StageTestProject.run("demo-assets", [verb, "--output", "-"], in: folder)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("demo-assets: error: --output must name a "), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("-").path))
        }
    }

    /// `--help` is still the parser's help on stdout, exit 0.
    func testHelpIsNotAnError() throws {
        let r = try StageTestProject.runCapturing("tokenize", ["--help"], in: try outsideFolder())
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("USAGE: tokenize <subcommand>"), r.stdout)
        XCTAssertTrue(r.stdout.contains("run (default)"), r.stdout)
        XCTAssertEqual(r.stderr, "")
    }

    /// Every stage tool, pipeline-report included, parses the shared stage options with and without `run`: here they
    /// reach the configuration, which is missing (66, one line naming it), rather than a parse error (64).
    func testEveryStageToolTakesTheStageOptionsWithAndWithoutRun() throws {
        let folder = try outsideFolder()
        let options = ["--config", "missing.yaml", "--set", "train.lr=0.1", "--sets", "lora.r=4 lora.alpha=8",
                       "--force", "--verify", "--quiet"]
        for tool in Self.stageTools {
            for arguments in [options, ["run"] + options] {
                let r = try StageTestProject.run(tool, arguments, in: folder)
                let what = "\(tool) \(arguments.joined(separator: " ")): \(r.stderr)"
                XCTAssertEqual(r.status, 66, what)
                XCTAssertEqual(lines(r.stderr).count, 1, what)
                XCTAssertTrue(r.stderr.hasPrefix("\(tool): error: ") && r.stderr.contains("/missing.yaml: "), what)
            }
        }
        // train-lora also takes --resume there
        let resume = try StageTestProject.run("train-lora", ["run", "--resume"] + options, in: folder)
        XCTAssertEqual(resume.status, 66, resume.stderr)
    }

    /// The old spellings still work for one release, each with one `warning: … is deprecated; use …` line first.
    func testOldSpellingsWorkWithOneDeprecationLine() throws {
        let folder = try outsideFolder()
        let deprecated: [(tool: String, arguments: [String], notice: String)] = [
            ("fetch-model", ["--local-dir", "nowhere", "--config", "missing.yaml"],
             "fetch-model: warning: fetch-model --local-dir is deprecated; use fetch-model --model"),
            ("pipeline-report", ["write", "--config", "missing.yaml"],
             "pipeline-report: warning: pipeline-report write is deprecated; use pipeline-report run"),
            ("generate", ["--model", "m", "--input", "in.jsonl", "--config", "missing.yaml"],
             "generate: warning: generate --model … without a subcommand is deprecated; use generate summarize --model …"),
            ("score-rouge", ["--predictions", "p.jsonl", "--references", "r.jsonl", "--config", "missing.yaml"],
             "score-rouge: warning: score-rouge --predictions … without a subcommand is deprecated; use score-rouge score --predictions …"),
            ("score-rouge", ["score", "--predictions", "p.jsonl", "--references", "r.jsonl", "--resamples", "10", "--config", "missing.yaml"],
             "score-rouge: warning: score-rouge --resamples is deprecated; use score-rouge --bootstrap-samples"),
        ]
        for d in deprecated {
            let r = try StageTestProject.run(d.tool, d.arguments, in: folder)
            let what = "\(d.tool) \(d.arguments.joined(separator: " ")): \(r.stderr)"
            // past the parser, to the configuration (missing): the old spelling parsed as the new one
            XCTAssertEqual(r.status, 66, what)
            XCTAssertEqual(lines(r.stderr).count, 2, what)
            XCTAssertEqual(lines(r.stderr).first.map(String.init), d.notice, what)
            XCTAssertTrue(lines(r.stderr)[1].contains("missing.yaml"), what)
        }
        // --out of demo-assets: the archive is written
        let archive = folder.appendingPathComponent("corpus.7z")
        let r = try StageTestProject.runCapturing("demo-assets", ["corpus", "--out", archive.path], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "demo-assets: warning: demo-assets --out is deprecated; use demo-assets --output\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: archive.path))
    }

    /// `generate summarize`: a settings line names the configuration and what decides the summaries (standalone generate
    /// once took the reference's 200 new tokens and 512 source tokens on the demo model without a word); `--output -`
    /// (the default) is stdout, with the bytes `--output FILE` writes; the old spelling gives the same bytes.
    func testGenerateSummarizeNamesItsSettingsAndWritesStdout() throws {
        let folder = try outsideFolder()
        let repo = StageTestProject.repoRoot
        try StandaloneToolsTests.dialogues.write(to: folder.appendingPathComponent("dialogues.jsonl"), atomically: true, encoding: .utf8)
        let demo = repo.appendingPathComponent("pipeline.demo.yaml").path
        let common = ["--model", repo.appendingPathComponent("demo/model").path, "--input", "dialogues.jsonl", "--config", demo,
                      "--set", "generation.max_new_tokens=6"]
        let toStdout = try StageTestProject.runCapturing("generate", ["summarize"] + common, in: folder)
        XCTAssertEqual(toStdout.status, 0, toStdout.stderr)
        XCTAssertEqual(lines(toStdout.stderr).first.map(String.init),
                       "generate: \(demo): generation.max_new_tokens 6, tokenize.max_source_length 160, generation.num_beams 1, "
                       + "generation.weights_dtype bf16")
        XCTAssertEqual(toStdout.stdout.split(separator: "\n").count, 2, toStdout.stdout)

        let toFile = try StageTestProject.runCapturing("generate", ["summarize", "--output", "out.jsonl", "--quiet"] + common, in: folder)
        XCTAssertEqual(toFile.status, 0, toFile.stderr)
        XCTAssertEqual(toFile.stdout, "")
        XCTAssertEqual(toFile.stderr, "", "--quiet: no settings line, no progress")
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("out.jsonl"), encoding: .utf8), toStdout.stdout)

        let old = try StageTestProject.runCapturing("generate", ["--output", "old.jsonl", "--quiet"] + common, in: folder)
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(old.stderr, "generate: warning: generate --model … without a subcommand is deprecated; use generate summarize --model …\n")
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("old.jsonl"), encoding: .utf8), toStdout.stdout)
    }

    /// Standalone scoring reads rouge.* from the configuration as the stage does (it used seed 0 against the pipeline's
    /// 42, so the same predictions got other intervals) and says so; --seed and --bootstrap-samples override it.
    func testStandaloneScoringUsesThePipelinesBootstrapSettings() throws {
        let folder = try outsideFolder()
        try """
            {"id":"a","summary":"Ben will bring the cake to the party."}
            {"id":"b","summary":"Mia will wait for Tom at the station."}
            {"id":"c","summary":"Ann is late."}

            """.write(to: folder.appendingPathComponent("refs.jsonl"), atomically: true, encoding: .utf8)
        try """
            {"id":"a","prediction":"Ben brings cake."}
            {"id":"b","prediction":"Mia waits at the station for Tom."}
            {"id":"c","prediction":"Ann will be late."}

            """.write(to: folder.appendingPathComponent("pred.jsonl"), atomically: true, encoding: .utf8)
        let score = ["score", "--predictions", "pred.jsonl", "--references", "refs.jsonl", "--format", "json"]
        let builtIn = try StageTestProject.runCapturing("score-rouge", score, in: folder)
        XCTAssertEqual(builtIn.status, 0, builtIn.stderr)
        XCTAssertEqual(builtIn.stderr, "score-rouge: the built-in defaults: rouge.bootstrap_samples 1000, rouge.confidence 0.95, rouge.seed 42, rouge.lsum_split newline\n")
        let explicit = try StageTestProject.runCapturing("score-rouge", score + ["--seed", "42", "--bootstrap-samples", "1000", "--quiet"],
                                                        in: folder)
        XCTAssertEqual(explicit.stderr, "")
        XCTAssertEqual(explicit.stdout, builtIn.stdout, "the defaults are rouge.seed 42 and rouge.bootstrap_samples 1000")
        let seed0 = try StageTestProject.runCapturing("score-rouge", score + ["--seed", "0", "--quiet"], in: folder)
        XCTAssertNotEqual(seed0.stdout, builtIn.stdout, "another seed, other intervals")
        // a configuration's rouge.* are the defaults
        try "base: \(StageTestProject.repoRoot.appendingPathComponent("pipeline.yaml").path)\nrouge:\n  seed: 0\n"
            .write(to: folder.appendingPathComponent("mine.yaml"), atomically: true, encoding: .utf8)
        let configured = try StageTestProject.runCapturing("score-rouge", score + ["--config", "mine.yaml"], in: folder)
        XCTAssertEqual(configured.stderr, "score-rouge: mine.yaml: rouge.bootstrap_samples 1000, rouge.confidence 0.95, rouge.seed 0, rouge.lsum_split newline\n")
        XCTAssertEqual(configured.stdout, seed0.stdout)
        // out of range: the schema's one line
        let bad = try StageTestProject.run("score-rouge", score + ["--bootstrap-samples", "0"], in: folder)
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertEqual(lines(bad.stderr).count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("rouge.bootstrap_samples"), bad.stderr)
    }
}
