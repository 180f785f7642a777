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
