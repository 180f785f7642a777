import Kernels
import XCTest
@testable import PEFT

final class LoRAInitializationTests: XCTestCase {
    struct Facts: Decodable {
        var kaiming_uniform_bound_a_sqrt5: [String: Double]
    }

    /// The bound equals, bit for bit, what torch computes (fixture from lora_make_peft.py).
    func testKaimingBoundMatchesTorchExactly() throws {
        let facts = try JSONDecoder().decode(Facts.self, from: try loadFixture("t5_base_peft_targets.json"))
        XCTAssertEqual(facts.kaiming_uniform_bound_a_sqrt5.count, 4)
        for (fanIn, bound) in facts.kaiming_uniform_bound_a_sqrt5 {
            XCTAssertEqual(kaimingUniformBound(fanIn: Int(fanIn)!), bound, "fan_in \(fanIn)")
        }
        // Not exactly 1/8 for fan_in 64: sqrt(5)² rounds above 5 in Double.
        XCTAssertNotEqual(kaimingUniformBound(fanIn: 64), 0.125)
    }

    func testScalingPlainAndRSLoRA() {
        XCTAssertEqual(loraScaling(rank: 32, alpha: 32, useRSLoRA: false), 1.0)
        XCTAssertEqual(loraScaling(rank: 8, alpha: 16, useRSLoRA: false), 2.0)
        XCTAssertEqual(loraScaling(rank: 16, alpha: 16, useRSLoRA: true), 4.0)
    }

    func testInitialWeightsAreUniformInTheBoundAndBIsZero() {
        var g = PhiloxGenerator(seed: 42, stream: RandomStream.loraInitialization)
        let (a, b) = initializeLoRAWeights(rank: 32, inFeatures: 768, outFeatures: 512, generator: &g)
        XCTAssertEqual(a.count, 32 * 768)
        XCTAssertEqual(b.count, 512 * 32)
        XCTAssertTrue(b.allSatisfy { $0 == 0 })
        let bound = Float(kaimingUniformBound(fanIn: 768))
        XCTAssertTrue(a.allSatisfy { abs($0) <= bound })
        // U(-b, b): mean 0, variance b²/3.
        let n = Double(a.count)
        let mean = a.reduce(0.0) { $0 + Double($1) } / n
        let variance = a.reduce(0.0) { $0 + Double($1) * Double($1) } / n - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 0.01 * Double(bound))
        XCTAssertEqual(variance, Double(bound * bound) / 3, accuracy: 0.02 * Double(bound * bound) / 3)
        XCTAssertGreaterThan(a.map(abs).max()!, bound * 0.99)
        // The next module draws different values from the same generator.
        let (a2, _) = initializeLoRAWeights(rank: 32, inFeatures: 768, outFeatures: 512, generator: &g)
        XCTAssertNotEqual(a2, a)
    }
}
