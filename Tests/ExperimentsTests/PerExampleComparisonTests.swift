import Foundation
import Rouge
import XCTest
@testable import Experiments

/// The per-example comparison's numbers against scripts/fixtures/rouge_randomization_fixture.py (improved /
/// unchanged / worse, randomization counts, length buckets), and its extremes and text.
final class PerExampleComparisonTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Rouge")

    func examples() throws -> ([PerExampleComparison.Example], [String: Any]) {
        let rows = try String(contentsOf: Self.fixtures.appendingPathComponent("parity_expected.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("per_example_comparison.json"))) as! [String: Any]
        let lengths = fixture["lengths"] as! [Int]
        let column: [RougeType: Int] = [.rouge1: 3, .rouge2: 6, .rougeL: 9]
        let examples = (0..<150).map { i in
            PerExampleComparison.Example(id: "e\(i)", dialogue: "d", reference: "one two three", baseline: "one two",
                                         candidate: i % 3 == 0 ? "one two three four" : "one",
                                         baselineScores: column.mapValues { Double(rows[i][$0])! },
                                         candidateScores: column.mapValues { Double(rows[150 + i][$0])! }, sourceLength: lengths[i])
        }
        return (examples, fixture)
    }

    func testStatisticsEqualTheIndependentReference() throws {
        let (examples, fixture) = try examples()
        let comparison = PerExampleComparison(examples, trials: 10_000, seed: 42)
        let types = fixture["types"] as! [String: [String: Any]]
        for row in comparison.rows {
            let expected = types[row.type.rawValue]!
            XCTAssertEqual(row.randomization.atLeastAsExtreme, expected["count"] as? Int)
            XCTAssertEqual([row.improved, row.unchanged, row.worse], ["improved", "unchanged", "worse"].map { expected[$0] as! Int })
            XCTAssertEqual(row.baselineMean, expected["mean_a"] as! Double, accuracy: 1e-15)
            XCTAssertEqual(row.candidateMean, expected["mean_b"] as! Double, accuracy: 1e-15)
        }
        let buckets = fixture["buckets"] as! [[String: Any]]
        XCTAssertEqual(comparison.buckets.count, 4)
        for (got, want) in zip(comparison.buckets, buckets) {
            XCTAssertEqual([got.count, got.shortest, got.longest], ["n", "min", "max"].map { want[$0] as! Int })
            XCTAssertEqual(got.baselineMean, want["mean_a"] as! Double, accuracy: 1e-15)
            XCTAssertEqual(got.candidateMean, want["mean_b"] as! Double, accuracy: 1e-15)
        }
        XCTAssertEqual(comparison.lengths.reference, 3)
        XCTAssertEqual(comparison.lengths.candidateLonger, 50, "every third candidate has four words")
    }

    func testExtremesAreTheLargestDifferencesAndTheTextNamesThem() throws {
        let (examples, _) = try examples()
        let comparison = PerExampleComparison(examples, trials: 100, seed: 1, extremes: 3)
        let deltas = examples.map { $0.delta(.rouge1) }
        XCTAssertEqual(comparison.wins.map { $0.delta(.rouge1) }, Array(deltas.sorted(by: >).prefix(3)))
        XCTAssertEqual(comparison.losses.map { $0.delta(.rouge1) }, Array(deltas.sorted().prefix(3)))
        let text = comparison.markdown(baseline: "base", candidate: "lora")
        XCTAssertTrue(text.contains("| rouge1 | "), text)
        XCTAssertTrue(text.contains("Largest gains") && text.contains("Largest losses"), text)
        XCTAssertTrue(text.contains("p (randomization)"), text)
        // all equal: everything unchanged, p = 1, no extremes
        let same = examples.map { PerExampleComparison.Example(id: $0.id, dialogue: "", reference: "a", baseline: "a", candidate: "a",
                                                               baselineScores: $0.baselineScores, candidateScores: $0.baselineScores,
                                                               sourceLength: $0.sourceLength) }
        let flat = PerExampleComparison(same, trials: 50, seed: 1)
        XCTAssertTrue(flat.rows.allSatisfy { $0.unchanged == 150 && $0.randomization.pValue == 1 })
        XCTAssertTrue(flat.wins.isEmpty && flat.losses.isEmpty)
    }
}
