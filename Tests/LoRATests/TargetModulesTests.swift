import XCTest
@testable import LoRA

final class TargetModulesTests: XCTestCase {
    struct Facts: Decodable {
        struct Case: Decodable {
            var target_modules: [String]
            var r: Int
            var modules: [String]
            var state_dict: [[Shaped]]
            var trainable_parameters: Int
        }
        /// A `[name, [dims]]` pair element: a name or a shape.
        enum Shaped: Decodable {
            case name(String), shape([Int])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .name(s) } else { self = .shape(try c.decode([Int].self)) }
            }
        }
        var parameters: [[Shaped]]
        var cases: [Case]
    }

    func pairs(_ rows: [[Facts.Shaped]]) -> [(name: String, shape: [Int])] {
        rows.map { row in
            guard case .name(let n) = row[0], case .shape(let s) = row[1] else { fatalError("bad fixture row") }
            return (n, s)
        }
    }

    /// flan-t5-base's parameter names (built by the fixture script on torch's meta device)
    /// give exactly the modules PEFT wraps, in order, with PEFT's state-dict keys and shapes.
    func testMatchesPEFTOnFlanT5Base() throws {
        let facts = try JSONDecoder().decode(Facts.self, from: try loadFixture("t5_base_peft_targets.json"))
        var weights = pairs(facts.parameters)
        // The hub checkpoint also stores lm_head (transformers ties it in memory); it is never a target.
        weights.append((name: "lm_head.weight", shape: [32128, 768]))
        XCTAssertEqual(facts.cases.count, 2)
        for c in facts.cases {
            let modules = try adaptedModules(weightShapes: weights, targets: c.target_modules)
            XCTAssertEqual(modules.map(\.name), c.modules, "\(c.target_modules)")
            XCTAssertEqual(modules.reduce(0) { $0 + $1.parameterCount(rank: c.r) }, c.trainable_parameters)
            let keys = modules.flatMap { m in
                [(m.loraAKey, [c.r, m.inFeatures]), (m.loraBKey, [m.outFeatures, c.r])]
            }
            let expected = pairs(c.state_dict)
            XCTAssertEqual(keys.map(\.0), expected.map(\.name))
            XCTAssertEqual(keys.map(\.1), expected.map(\.shape))
        }
        let reference = try adaptedModules(weightShapes: weights, targets: ["q", "v"])
        XCTAssertEqual(reference.count, 72)
        XCTAssertEqual(reference.reduce(0) { $0 + $1.parameterCount(rank: 32) }, 3_538_944)
        XCTAssertEqual(reference.filter { $0.name.contains("EncDecAttention") }.count, 24)
    }

    func testSuffixRuleNeedsAWholeComponent() {
        XCTAssertTrue(peftTargetMatches(moduleName: "decoder.block.3.layer.1.EncDecAttention.q", targets: ["q"]))
        XCTAssertFalse(peftTargetMatches(moduleName: "decoder.block.3.layer.2.DenseReluDense.wi_0", targets: ["wi"]))
        XCTAssertTrue(peftTargetMatches(moduleName: "encoder.block.0.layer.1.DenseReluDense.wo", targets: ["wo"]))
        XCTAssertEqual(adaptedModuleNames(weightNames: ["a.q.weight", "a.q.bias", "a.qq.weight", "q.weight"], targets: ["q"]),
                       ["a.q", "q"])
    }

    func testRejectsUnknownEmptyOrAbsentTargets() {
        let weights: [(name: String, shape: [Int])] = [("encoder.block.0.layer.0.SelfAttention.q.weight", [8, 8])]
        XCTAssertThrowsError(try adaptedModules(weightShapes: weights, targets: ["layer_norm"])) { e in
            XCTAssertTrue("\(e)".contains("layer_norm"))
        }
        XCTAssertThrowsError(try adaptedModules(weightShapes: weights, targets: []))
        XCTAssertThrowsError(try adaptedModules(weightShapes: weights, targets: ["wo"])) { e in
            XCTAssertTrue("\(e)".contains("match no layer"))
        }
        XCTAssertThrowsError(try adaptedModules(weightShapes: [("x.q.weight", [8])], targets: ["q"]))
    }
}
