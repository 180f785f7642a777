import Foundation
import XCTest
@testable import Rouge

/// The paired approximate randomization test against scripts/fixtures/rouge_randomization_fixture.py (NumPy's
/// RandomState coins, the same seed): every count equal, on two aligned columns of parity_expected.tsv.
final class ApproximateRandomizationTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Rouge")

    /// Columns rouge1/rouge2/rougeL F1 of parity_expected.tsv lines 0..<150 (A) and 150..<300 (B).
    static func columns() throws -> (a: [RougeType: [Double]], b: [RougeType: [Double]], fixture: [String: Any]) {
        let rows = try String(contentsOf: directory.appendingPathComponent("parity_expected.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let column: [RougeType: Int] = [.rouge1: 3, .rouge2: 6, .rougeL: 9]
        var a: [RougeType: [Double]] = [:], b: [RougeType: [Double]] = [:]
        for (type, c) in column {
            a[type] = rows[0..<150].map { Double($0[c])! }
            b[type] = rows[150..<300].map { Double($0[c])! }
        }
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("per_example_comparison.json")))
        return (a, b, fixture as! [String: Any])
    }

    func testCountsEqualNumPysReference() throws {
        let (a, b, fixture) = try Self.columns()
        let types = fixture["types"] as! [String: [String: Any]]
        for type in [RougeType.rouge1, .rouge2, .rougeL] {
            let expected = types[type.rawValue]!
            let result = ApproximateRandomization.test(baseline: a[type]!, candidate: b[type]!, trials: 10_000, seed: 42)
            XCTAssertEqual(result.atLeastAsExtreme, expected["count"] as? Int, type.rawValue)
            XCTAssertEqual(result.pValue, expected["p"] as! Double, accuracy: 1e-15, type.rawValue)
        }
        var generator = MersenneTwister(seed: 42)
        XCTAssertEqual((0..<20).map { _ in generator.nextIndex(below: 2) }, fixture["first_coins"] as? [Int], "NumPy's randint(0, 2)")
    }

    func testIdenticalSystemsGivePOneAndDifferentSeedsDifferentCounts() throws {
        let (a, b, fixture) = try Self.columns()
        XCTAssertEqual(ApproximateRandomization.test(baseline: a[.rouge1]!, candidate: a[.rouge1]!, trials: 100, seed: 7).pValue,
                       fixture["identical_p"] as! Double)
        let one = ApproximateRandomization.test(baseline: a[.rouge2]!, candidate: b[.rouge2]!, trials: 2_000, seed: 1)
        let other = ApproximateRandomization.test(baseline: a[.rouge2]!, candidate: b[.rouge2]!, trials: 2_000, seed: 2)
        XCTAssertNotEqual(one.atLeastAsExtreme, other.atLeastAsExtreme, "the seed reaches the coins")
        // a large shift: no permutation reaches it
        XCTAssertEqual(ApproximateRandomization.test(baseline: a[.rouge1]!, candidate: a[.rouge1]!.map { $0 + 1 }, trials: 500, seed: 3)
            .atLeastAsExtreme, 0)
    }
}
