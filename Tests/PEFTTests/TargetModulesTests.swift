import XCTest
@testable import PEFT

final class TargetModulesTests: XCTestCase {
    // PEFT's module choice on flan-t5-base is checked on the trainer itself: T5TrainingTests/PEFTTargetModulesTests.

    func testSuffixRuleNeedsAWholeComponent() {
        XCTAssertTrue(peftTargetMatches(moduleName: "decoder.block.3.layer.1.EncDecAttention.q", targets: ["q"]))
        XCTAssertFalse(peftTargetMatches(moduleName: "decoder.block.3.layer.2.DenseReluDense.wi_0", targets: ["wi"]))
        XCTAssertTrue(peftTargetMatches(moduleName: "encoder.block.0.layer.1.DenseReluDense.wo", targets: ["wo"]))
        XCTAssertTrue(peftTargetMatches(moduleName: "q", targets: ["q"]))
        XCTAssertFalse(peftTargetMatches(moduleName: "a.qq", targets: ["q"]))
        XCTAssertTrue(peftTargetMatches(moduleName: "encoder.block.0.layer.0.SelfAttention.q", targets: ["SelfAttention.q"]))
        XCTAssertFalse(peftTargetMatches(moduleName: "decoder.block.0.layer.1.EncDecAttention.q", targets: ["SelfAttention.q"]))
    }

    func testRejectsUnknownOrEmptyTargets() {
        XCTAssertThrowsError(try validateTargets(["layer_norm"])) { e in XCTAssertTrue("\(e)".contains("layer_norm")) }
        XCTAssertThrowsError(try validateTargets([]))
        XCTAssertNoThrow(try validateTargets(["q", "SelfAttention.v", "DenseReluDense.wo"]))
    }
}
