import Failures
import JSON
import XCTest
@testable import Pipeline

final class PipelineConfigTests: XCTestCase {
    func testRepositoryConfigHasEveryParameter() throws {
        let c = try PipelineConfig.load(path: TestProject.repoRoot.appendingPathComponent("pipeline.yaml").path)
        XCTAssertEqual(c.value("lora.r"), .int(32))
        XCTAssertEqual(c.value("train.lr"), .double(0.001))
        XCTAssertEqual(c.value("train.eps"), .double(1e-8))
        XCTAssertEqual(c.value("lora.target_modules"), ["q", "v"])
        XCTAssertEqual(c.value("tokenize.prompt").stringValue,
                       "Summarize the following conversation.\n\n{dialogue}\n\nSummary: ")
        XCTAssertEqual(c.values.count, ParameterSchema.all.count)
    }

    func testUnknownKeyNamesKeyAndFile() throws {
        let p = try TestProject()
        try p.write("base: pipeline.yaml\nlora:\n  rank: 4\n", to: "bad.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("bad.yaml"), msg)
            XCTAssertTrue(msg.contains("lora.rank"), msg)
            XCTAssertEqual((e as? PipelineError)?.status, .usage)
        }
    }

    /// Issue 33, items 4, 6 and 13: a repeated section or key is refused (YAML would keep the last silently),
    /// of several unknown keys the first in the file is named, and a few hundred bytes of nested aliases are
    /// refused before they expand to gigabytes.
    func testRepeatedKeysFirstUnknownKeyAndAliasBombsAreOneLineErrors() throws {
        let p = try TestProject()
        func message(_ yaml: String) -> String {
            try? p.write(yaml, to: "bad.yaml")
            do {
                _ = try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)
                return "loaded"
            } catch {
                XCTAssertEqual((error as? PipelineError)?.status, .usage, "\(error)")
                return String(describing: error)
            }
        }
        XCTAssertTrue(message("base: pipeline.yaml\ntrain:\n  lr: 0.1\n  lr: 0.2\n").contains("parameter 'train.lr' is given twice (lines 3 and 4)"))
        XCTAssertTrue(message("base: pipeline.yaml\ntrain:\n  lr: 0.1\nlora:\n  r: 8\ntrain:\n  epochs: 2\n")
            .contains("section 'train' is given twice (lines 2 and 6)"))
        XCTAssertTrue(message("base: pipeline.yaml\nlora:\n  r: 8\n  rank_pattern: {wo: 4, wo: 8}\n").contains("'wo' is given twice"))
        for _ in 0..<5 {  // not the dictionary's order: the file's
            let unknown = message("base: pipeline.yaml\nlora:\n  zeta: 1\n  alpha2: 2\n  beta3: 3\n  gamma4: 4\n")
            XCTAssertTrue(unknown.contains("unknown parameter 'lora.zeta'"), unknown)
        }
        // Nine levels of ten aliases each: 10⁹ values once expanded, from about 600 bytes.
        var levels = ["&a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1..<9 { levels.append("&a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        let refused = message("base: pipeline.yaml\nlora:\n  target_modules: [" + levels.joined(separator: ", ") + "]\n")
        XCTAssertTrue(refused.contains("more than 100000 YAML values"), refused)
    }

    /// Issue 33, items 9 and 12: sizes and counts out of range are one error line naming the key (and the file).
    func testBoundedIntegersNameTheKey() throws {
        let p = try TestProject()
        let config = p.root.appendingPathComponent("pipeline.yaml").path
        for (set, expected) in [("runtime.threads=400", "'runtime.threads' must be an integer from 1 to 256, got 400"),
                                ("train.batch_size=0", "'train.batch_size' must be an integer from 1 to 4096, got 0"),
                                ("lora.r=0", "'lora.r' must be an integer from 1 to 4096, got 0"),
                                ("generation.max_new_tokens=0", "'generation.max_new_tokens' must be an integer from 1"),
                                ("rouge.bootstrap_samples=0", "'rouge.bootstrap_samples' must be an integer from 1")] {
            XCTAssertThrowsError(try PipelineConfig.load(path: config, overrides: [set])) { e in
                XCTAssertTrue(String(describing: e).contains(expected), String(describing: e))
                XCTAssertEqual((e as? PipelineError)?.status, .usage)
            }
        }
        try p.write("base: pipeline.yaml\ntrain:\n  batch_size: 100000\n", to: "bad.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)) { e in
            XCTAssertTrue(String(describing: e).contains("bad.yaml"), String(describing: e))
            XCTAssertTrue(String(describing: e).contains("'train.batch_size'"), String(describing: e))
        }
        XCTAssertNoThrow(try PipelineConfig.load(path: config, overrides: ["runtime.threads=256", "train.batch_size=1"]))
    }

    /// Numbers out of their meaning are refused when the configuration is read (issue 33, items 11 and 12): lora.alpha -1
    /// trained every step and then failed; .nan and beta2 1.5 ended as "training diverged" with an empty checkpoint folder.
    func testNumbersOutsideTheirBoundsAreOneLineNamingTheKey() throws {
        let p = try TestProject()
        let config = p.root.appendingPathComponent("pipeline.yaml").path
        for (set, expected) in [("lora.alpha=-1", "'lora.alpha' must be a number > 0, got -1.0"),
                                ("lora.alpha=.nan", "'lora.alpha' must be a number > 0, got nan"),
                                ("train.beta2=1.5", "'train.beta2' must be a number in [0, 1), got 1.5"),
                                ("train.lr=.nan", "'train.lr' must be a number ≥ 0, got nan"),
                                ("train.lr=inf", "'train.lr' must be a number ≥ 0, got inf"),
                                ("train.dropout_rate=1.5", "'train.dropout_rate' must be a number in [0, 1), got 1.5"),
                                ("train.label_smoothing=1", "'train.label_smoothing' must be a number in [0, 1), got 1.0"),
                                ("train.max_grad_norm=0", "'train.max_grad_norm' must be a number > 0, got 0.0"),
                                ("train.checkpoint_every=0", "'train.checkpoint_every' must be an integer from 1 to 1000000000, got 0"),
                                ("train.warmup_steps=-1", "'train.warmup_steps' must be an integer from 0 to 1000000000, got -1"),
                                ("rouge.confidence=1", "'rouge.confidence' must be a number in (0, 1), got 1.0"),
                                ("generation.length_penalty=.inf", "'generation.length_penalty' must be a finite number, got inf")] {
            XCTAssertThrowsError(try PipelineConfig.load(path: config, overrides: [set])) { e in
                XCTAssertEqual((e as? PipelineError)?.description, "--set \(set.split(separator: "=")[0]): parameter \(expected)")
                XCTAssertEqual((e as? PipelineError)?.status, .usage)
            }
        }
        try p.write("base: pipeline.yaml\ntrain:\n  beta1: -0.1\n", to: "bad.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)) { e in
            XCTAssertEqual((e as? PipelineError)?.description,
                           "\(p.root.appendingPathComponent("bad.yaml").path): parameter 'train.beta1' must be a number in [0, 1), got -0.1")
        }
        XCTAssertNoThrow(try PipelineConfig.load(path: config, overrides: ["train.beta2=0", "lora.dropout=0", "train.lr=0",
                                                                           "generation.length_penalty=-2"]))
    }

    /// YAML nested 5,000 deep overflowed Yams' recursion (a segfault) from a config or --set (issue 33, item 7).
    func testDeepNestingIsOneLineNotACrash() throws {
        let p = try TestProject()
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        try p.write("base: pipeline.yaml\ntrain:\n  lr: \(deep)\n", to: "flow.yaml")
        var block = "base: pipeline.yaml\ntrain:\n  lr:\n"
        for level in 0..<1200 { block += String(repeating: " ", count: level + 4) + "- \n" }
        try p.write(block, to: "block.yaml")
        for (name, words) in [("flow.yaml", "YAML nested more than 128 levels deep"),
                              ("block.yaml", "YAML indented more than 1000 columns (nested too deeply)")] {
            XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent(name).path)) { e in
                XCTAssertEqual((e as? PipelineError)?.description, "\(p.root.appendingPathComponent(name).path): \(words)")
            }
        }
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path,
                                                     overrides: ["train.lr=\(deep)"])) { e in
            let line = (e as? PipelineError)?.description ?? ""
            XCTAssertTrue(line.hasPrefix("--set train.lr: parameter 'train.lr' must be a number, got "), line)
            XCTAssertLessThan(line.count, 200, "the value is cut to a line's worth")
        }
        // quotes and comments do not count; real configs pass
        XCTAssertNoThrow(try YAMLNesting.check("a: '" + String(repeating: "[", count: 500) + "' # {{{{{{\n", origin: "x"))
        XCTAssertNoThrow(try YAMLNesting.check(try String(contentsOf: TestProject.repoRoot.appendingPathComponent("pipeline.yaml"),
                                                          encoding: .utf8), origin: "pipeline.yaml"))
    }

    /// runtime.threads: auto is this machine's core count, resolved when read (the lock records the count).
    func testThreadsAutoIsTheCoreCount() throws {
        let p = try TestProject()
        let config = try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path, overrides: ["runtime.threads=auto"])
        XCTAssertEqual(config.values["runtime.threads"], .int(min(256, ProcessInfo.processInfo.activeProcessorCount)))
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path,
                                                     overrides: ["runtime.threads=many"])) { e in
            XCTAssertEqual((e as? PipelineError)?.description, "--set runtime.threads: parameter 'runtime.threads' must be an integer or auto, got \"many\"")
        }
    }

    /// A `base:` naming something that is not a small regular file (a device, a folder) is refused before it is read:
    /// /dev/zero was read until memory ran out.
    func testABaseThatIsNotASmallFileIsRefused() throws {
        let p = try TestProject()
        for (base, words) in [("/dev/zero", "the pipeline configuration: not a regular file"), (".", "the pipeline configuration: not a regular file")] {
            try p.write("base: \(base)\n", to: "odd.yaml")
            XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("odd.yaml").path)) { e in
                XCTAssertEqual((e as? PipelineError)?.status, .badInput, "\(e)")
                XCTAssertTrue("\(e)".contains(words), "\(e)")
            }
        }
    }

    func testEmptyFoldersAreRefused() throws {
        let p = try TestProject()
        for key in ["paths.data", "paths.metrics", "paths.reports"] {
            XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path,
                                                         overrides: ["\(key)="])) { e in
                XCTAssertTrue(String(describing: e).contains("'\(key)' must name a folder"), String(describing: e))
            }
        }
        try p.write("base: pipeline.yaml\npaths:\n  data: \"\"\n", to: "bad.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)) { e in
            XCTAssertTrue(String(describing: e).contains("bad.yaml"), String(describing: e))
        }
    }

    func testWrongTypeIsAnError() throws {
        let p = try TestProject()
        try p.write("base: pipeline.yaml\nlora:\n  r: many\n", to: "bad.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("bad.yaml").path)) { e in
            XCTAssertTrue(String(describing: e).contains("'lora.r' must be an integer"), String(describing: e))
        }
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("pipeline.yaml").path,
                                                     overrides: ["train.weights_dtype=f64"]))
    }

    func testBaseChainAndOverrides() throws {
        let p = try TestProject()
        try p.write("base: pipeline.yaml\ntrain:\n  epochs: 2\n", to: "demo.yaml")
        let c = try PipelineConfig.load(path: p.root.appendingPathComponent("demo.yaml").path,
                                        overrides: ["train.lr=3e-4", "lora.target_modules=q,k,v", "samsum.size=123"])
        XCTAssertEqual(c.value("train.epochs"), .int(2))
        XCTAssertEqual(c.value("train.lr"), .double(3e-4))
        XCTAssertEqual(c.value("lora.target_modules"), ["q", "k", "v"])
        XCTAssertEqual(c.value("samsum.size"), .int(123))
        XCTAssertEqual(c.value("lora.r"), .int(32))
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("demo.yaml").path,
                                                     overrides: ["nope.key=1"]))
    }

    func testMissingKeyIsAnError() throws {
        let p = try TestProject()
        try p.write("paths:\n  data: data\n", to: "partial.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("partial.yaml").path)) { e in
            XCTAssertTrue(String(describing: e).contains("missing parameter"), String(describing: e))
        }
    }

    func testCanonicalJSONIsSortedAndCompact() {
        let v: JSONValue = ["b": 1, "a": ["x": true, "c": .double(0.5)], "s": "é\n\"q\""]
        XCTAssertEqual(v.canonical, #"{"a":{"c":0.5,"x":true},"b":1,"s":"é\n\"q\""}"#)
    }

    /// A value of the wrong type is quoted as it was parsed (a mapping error said only what was expected).
    func testWrongTypeErrorsQuoteTheParsedValue() throws {
        for (set, got) in [("lora.rank_pattern=[wo]", #"got ["wo"]"#), ("lora.rank_pattern={wo: x}", #"got {"wo":"x"}"#),
                           ("lora.r=abc", #"got "abc""#)] {
            XCTAssertThrowsError(try PipelineConfig.builtIn(overrides: [set], folder: URL(fileURLWithPath: "/tmp"))) { error in
                XCTAssertTrue(String(describing: error).contains(got), "\(set): \(error)")
            }
        }
    }
}
