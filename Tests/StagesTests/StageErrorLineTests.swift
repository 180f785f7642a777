import Foundation
import Pipeline
import Stages
import XCTest

/// Every executable's missing-file and bad-input path, run as the user runs it (a built binary in a
/// project folder): the documented exit status (README "Exit codes"), exactly one line on stderr of the
/// form `<program>: error: <file>: <problem>` naming the user's file (never a temporary copy), and no
/// output at a stable path or half-written entry in the store afterwards.
final class StageErrorLineTests: XCTestCase {
    struct Failure {
        var program: String
        var arguments: [String]
        var status: Int32
        /// The end of the path the line must name, e.g. "badmodel/config.json".
        var file: String
        /// Stable paths (relative to the project) that must not exist afterwards.
        var unpublished: [String]
    }

    func check(_ f: Failure, in project: StageTestProject, file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, stderr) = try StageTestProject.run(f.program, f.arguments, in: project.root)
        let what = "\(f.program) \(f.arguments.joined(separator: " ")) -> \(stderr)"
        XCTAssertEqual(status, f.status, what, file: file, line: line)
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 1, what, file: file, line: line)
        XCTAssertTrue(stderr.hasSuffix("\n"), what, file: file, line: line)
        let prefix = "\(f.program): error: "
        XCTAssertTrue(stderr.hasPrefix(prefix), what, file: file, line: line)
        // `<file>: <problem>`: a path (no spaces here) ending in the expected file, then a non-empty problem.
        let rest = stderr.dropFirst(prefix.count)
        if let named = rest.range(of: f.file + ": ") {
            let path = rest[..<named.upperBound].dropLast(2)
            XCTAssertFalse(path.contains(" "), "not a path before the problem: \(what)", file: file, line: line)
            XCTAssertFalse(path.contains("/.tmp/") || path.contains("/.work/"), "names a temporary copy: \(what)", file: file, line: line)
            XCTAssertFalse(rest[named.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, what,
                           file: file, line: line)
        } else {
            XCTFail("the line does not name \(f.file): \(what)", file: file, line: line)
        }
        for stable in f.unpublished {
            XCTAssertFalse(FileManager.default.fileExists(atPath: project.url(stable).path), "\(stable) exists after \(what)",
                           file: file, line: line)
        }
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: project.url("data/store/.tmp").path)) ?? []
        XCTAssertEqual(tmp, [], "half-written entries after \(what)", file: file, line: line)
    }

    /// Replaces a (possibly read-only, store-linked) file with `bytes`.
    func replace(_ path: String, in project: StageTestProject, with bytes: Data) throws {
        try? FileManager.default.removeItem(at: project.url(path))
        try FileManager.default.createDirectory(at: project.url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: project.url(path))
    }

    func testFetchSamsum() throws {
        let p = try StageTestProject()
        let archive = try Data(contentsOf: StageTestProject.repoRoot.appendingPathComponent("demo/corpus.7z"))
        let truncated = archive.prefix(archive.count / 2)
        try replace("bad.7z", in: p, with: truncated)
        let pinned = ["--set", "samsum.sha256=" + Digest.sha256(truncated),
                      "--set", "samsum.size=\(truncated.count)"]
        let outputs = ["data/samsum/train.jsonl", "data/samsum/validation.jsonl", "data/samsum/test.jsonl"]
        try check(.init(program: "fetch-samsum", arguments: ["--quiet", "--set", "samsum.archive=bad.7z"] + pinned,
                        status: 65, file: "bad.7z", unpublished: outputs), in: p)
        try check(.init(program: "fetch-samsum", arguments: ["--quiet", "--set", "samsum.archive=missing.7z"] + pinned,
                        status: 66, file: "missing.7z", unpublished: outputs), in: p)
        // The right size but other bytes: an integrity failure.
        try check(.init(program: "fetch-samsum", arguments: ["--quiet", "--set", "samsum.archive=bad.7z",
                                                            "--set", "samsum.sha256=" + String(repeating: "0", count: 64),
                                                            "--set", "samsum.size=\(truncated.count)"],
                        status: 76, file: "bad.7z", unpublished: outputs), in: p)
    }

    func testFetchModel() throws {
        let p = try StageTestProject()
        try StageTestProject.tinyRecipe.writeInitialModel(
            to: p.url("mine"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        let outputs = ["data/model/config.json", "data/model/model.safetensors", "data/model/spiece.model"]
        let args = ["--quiet", "--set", "model.local_dir=mine"]
        let weights = try Data(contentsOf: p.url("mine/model.safetensors"))
        let config = try Data(contentsOf: p.url("mine/config.json"))

        try replace("mine/config.json", in: p, with: Data(#"{"d_model": "#.utf8))
        try check(.init(program: "fetch-model", arguments: args, status: 65, file: "mine/config.json", unpublished: outputs), in: p)
        try replace("mine/config.json", in: p, with: config)
        try replace("mine/model.safetensors", in: p, with: weights.prefix(weights.count / 3))
        try check(.init(program: "fetch-model", arguments: args, status: 65, file: "mine/model.safetensors", unpublished: outputs),
                  in: p)
        try replace("mine/model.safetensors", in: p, with: weights)
        try FileManager.default.removeItem(at: p.url("mine/spiece.model"))
        try check(.init(program: "fetch-model", arguments: args, status: 66, file: "mine/spiece.model", unpublished: outputs), in: p)
    }

    func testTokenizeTrainLoRAGenerateAndScoreRouge() throws {
        let p = try StageTestProject()
        let args = ["--quiet"] + (try p.prepareForTraining(examples: 8))

        // tokenize: a record without its dialogue; a split that is not there.
        let tokens = ["data/tokens/train.safetensors", "data/tokens/validation.safetensors", "data/tokens/test.safetensors"]
        let train = try Data(contentsOf: p.url("data/samsum/train.jsonl"))
        for path in tokens { try FileManager.default.removeItem(at: p.url(path)) }
        try replace("data/samsum/train.jsonl", in: p, with: train + Data(#"{"id":"x","summary":"s"}"#.utf8 + [10]))
        try check(.init(program: "tokenize", arguments: ["run"] + args, status: 65, file: "data/samsum/train.jsonl",
                        unpublished: tokens), in: p)
        try FileManager.default.removeItem(at: p.url("data/samsum/train.jsonl"))
        try check(.init(program: "tokenize", arguments: ["run"] + args, status: 66, file: "data/samsum/train.jsonl",
                        unpublished: tokens), in: p)
        try replace("data/samsum/train.jsonl", in: p, with: train)
        try TokenizeStage.run(try p.options(Array(args.dropFirst())), root: p.root)
        // From here the bad files are placed by hand: no run of this configuration recorded them, so the stages read
        // them where they are (a recorded file would be read from its run's store entry: LockedInputs).
        try FileManager.default.removeItem(at: p.url("pipeline.lock"))

        // train-lora: a token file cut short; one that is not there.
        let adapter = ["data/adapter/adapter_model.safetensors", "data/adapter/adapter_config.json"]
        let tokenFile = try Data(contentsOf: p.url("data/tokens/train.safetensors"))
        try replace("data/tokens/train.safetensors", in: p, with: tokenFile.prefix(200))
        try check(.init(program: "train-lora", arguments: args, status: 65, file: "data/tokens/train.safetensors",
                        unpublished: adapter), in: p)
        try FileManager.default.removeItem(at: p.url("data/tokens/train.safetensors"))
        try check(.init(program: "train-lora", arguments: args, status: 66, file: "data/tokens/train.safetensors",
                        unpublished: adapter), in: p)
        try replace("data/tokens/train.safetensors", in: p, with: tokenFile)

        // generate: an adapter whose config is not JSON; the stage's adapter missing; standalone, no adapter folder.
        let predictions = ["data/predictions/lora.jsonl"]
        try replace("data/adapter/adapter_config.json", in: p, with: Data(#"{"r": 8"#.utf8))
        try replace("data/adapter/adapter_model.safetensors", in: p, with: Data(count: 64))
        try check(.init(program: "generate", arguments: ["--variant", "lora"] + args, status: 65,
                        file: "data/adapter/adapter_config.json", unpublished: predictions), in: p)
        try FileManager.default.removeItem(at: p.url("data/adapter/adapter_config.json"))
        try check(.init(program: "generate", arguments: ["--variant", "lora"] + args, status: 66,
                        file: "data/adapter/adapter_config.json", unpublished: predictions), in: p)
        try check(.init(program: "generate", arguments: ["summarize", "--model", "data/model", "--adapter", "no-adapter",
                                                        "--input", "data/samsum/test.jsonl", "--output", "out.jsonl"] + args,
                        status: 66, file: "no-adapter/adapter_config.json", unpublished: ["out.jsonl"]), in: p)
        try replace("dialogues.jsonl", in: p, with: Data(#"{"id":1,"dialogue":"A: hi"}"#.utf8 + [10]))
        try check(.init(program: "generate", arguments: ["summarize", "--model", "data/model", "--input", "dialogues.jsonl",
                                                        "--output", "out.jsonl"] + args,
                        status: 65, file: "dialogues.jsonl", unpublished: ["out.jsonl"]), in: p)

        // score-rouge: predictions that are not JSON Lines; predictions that are not there.
        let metrics = ["metrics/rouge.json", "metrics/rouge-per-example.jsonl"]
        try replace("data/predictions/base.jsonl", in: p, with: Data("not json\n".utf8))
        try replace("data/predictions/lora.jsonl", in: p, with: Data("not json\n".utf8))
        try check(.init(program: "score-rouge", arguments: ["run"] + args, status: 65, file: "data/predictions/base.jsonl",
                        unpublished: metrics), in: p)
        try FileManager.default.removeItem(at: p.url("data/predictions/base.jsonl"))
        try check(.init(program: "score-rouge", arguments: ["run"] + args, status: 66, file: "data/predictions/base.jsonl",
                        unpublished: metrics), in: p)

        // pipeline-report: no run recorded in the lock; a configuration that is not there.
        try check(.init(program: "pipeline-report", arguments: [], status: 66, file: "pipeline.lock", unpublished: []), in: p)
        try check(.init(program: "pipeline-report", arguments: ["--config", "missing.yaml"], status: 66, file: "missing.yaml",
                        unpublished: []), in: p)
        // Any stage: a configuration that is not YAML.
        try replace("broken.yaml", in: p, with: Data("paths: [\n".utf8))
        try check(.init(program: "train-lora", arguments: ["--config", "broken.yaml", "--quiet"], status: 64, file: "broken.yaml",
                        unpublished: []), in: p)
    }
}

