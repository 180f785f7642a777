import Failures
import Foundation
import JSON
import XCTest
@testable import Pipeline

/// The `base:` rule every reader of configurations shares (`ConfigBaseChain`): where a base is, which file's value
/// wins, how long a chain may be.
final class ConfigBaseChainTests: XCTestCase {
    func testBasePathsAreResolvedBesideTheFileThatNamesThem() {
        // inside a repository (a configuration at a git revision)
        XCTAssertEqual(ConfigBaseChain.basePath("pipeline.yaml", inFolder: ""), "pipeline.yaml")
        XCTAssertEqual(ConfigBaseChain.basePath("base.yaml", inFolder: "conf"), "conf/base.yaml")
        XCTAssertEqual(ConfigBaseChain.basePath("./../x/./y.yaml", inFolder: "conf"), "x/y.yaml")
        XCTAssertNil(ConfigBaseChain.basePath("../y.yaml", inFolder: ""))
        XCTAssertEqual(ConfigBaseChain.basePath("/abs/y.yaml", inFolder: ""), "/abs/y.yaml")
        // on disk
        XCTAssertEqual(ConfigBaseChain.basePath("../pipeline.yaml", inFolder: "/p/here"), "/p/pipeline.yaml")
        XCTAssertEqual(ConfigBaseChain.basePath("/abs/y.yaml", inFolder: "/p"), "/abs/y.yaml")
        XCTAssertEqual(ConfigBaseChain.basePath("../../../y.yaml", inFolder: "/p"), "/y.yaml")
        XCTAssertEqual(ConfigBaseChain.basePath(".", inFolder: "/p"), "/p")
    }

    /// Each key a file sets replaces its base's whole value; a chain of more than eight files is a cycle.
    func testTheNearerFileWinsAndALongChainIsACycle() throws {
        typealias Layer = ConfigBaseChain.Layer<Int, String>
        func layer(_ n: Int, _ values: [(String, String)], base: Int?) -> Layer {
            var l = Layer()
            l.values = values.map { (key: $0.0, value: $0.1) }
            l.base = base
            return l
        }
        let files = [layer(0, [("train.epochs", "3")], base: 1),
                     layer(1, [("train.epochs", "2"), ("lora.r", "16")], base: 2),
                     layer(2, [("lora.r", "32"), ("lora.target_modules", "[q, v]"), ("train.lr", "0.001")], base: nil)]
        let merged = try ConfigBaseChain.merge(files[0], read: { (n: Int) throws(PipelineError) in files[n] },
                                               tooDeep: { PipelineError.usage("too deep at \($0)") })
        XCTAssertEqual(merged, ["train.epochs": "3", "lora.r": "16", "lora.target_modules": "[q, v]", "train.lr": "0.001"])

        var read: [Int] = []
        let cycle = [layer(0, [], base: 1), layer(1, [], base: 0)]
        XCTAssertThrowsError(try ConfigBaseChain.merge(cycle[0], read: { (n: Int) throws(PipelineError) in read.append(n); return cycle[n] },
                                                       tooDeep: { PipelineError.usage("too deep at \($0)") })) { e in
            XCTAssertEqual("\(e)", "too deep at 0")
        }
        XCTAssertEqual(read.count, ConfigBaseChain.maximumFiles - 1, "the top file and seven bases")
    }

    /// PipelineConfig reads a chain by the rule: the origin of each value is the nearest file that sets it.
    func testPipelineConfigMergesAChainOfThree() throws {
        let p = try TestProject()
        try p.write("base: ../pipeline.yaml\nlora:\n  r: 16\ntrain:\n  epochs: 2\n", to: "conf/mid.yml")
        try p.write("base: mid.yml\ntrain:\n  epochs: 3\n", to: "conf/top.yaml")
        let config = try PipelineConfig.load(path: p.root.appendingPathComponent("conf/top.yaml").path)
        XCTAssertEqual(config.value("train.epochs"), .int(3))
        XCTAssertEqual(config.value("lora.r"), .int(16))
        XCTAssertEqual(config.value("lora.target_modules"), ["q", "v"])
        let root = p.root.standardizedFileURL.path
        XCTAssertEqual(config.origins["train.epochs"], root + "/conf/top.yaml")
        XCTAssertEqual(config.origins["lora.r"], root + "/conf/mid.yml")
        XCTAssertEqual(config.origins["train.lr"], root + "/pipeline.yaml")

        try p.write("base: b.yaml\n", to: "a.yaml")
        try p.write("base: a.yaml\n", to: "b.yaml")
        XCTAssertThrowsError(try PipelineConfig.load(path: p.root.appendingPathComponent("a.yaml").path)) { e in
            XCTAssertEqual((e as? PipelineError)?.status, .usage)
            XCTAssertTrue("\(e)".contains(ConfigBaseChain.tooDeep), "\(e)")
        }
    }
}
