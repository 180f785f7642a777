import XCTest
@testable import Rouge

/// Parity with rouge_score 0.1.2 (use_stemmer=True) on 3,200 assembled pairs, scored by
/// scripts/reference/rouge_ref.py (Tests/Fixtures/Rouge/README.md).
final class RougeParityTests: XCTestCase {
    struct Expected {
        var id: String
        var values: [Double]  // P, R, F of rouge1, rouge2, rougeL, rougeLsum
    }

    func expected() throws -> [Expected] {
        try Fixtures.text("parity_expected.tsv").split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return Expected(id: String(fields[0]), values: fields.dropFirst().map { Double($0)! })
        }
    }

    func summary() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("parity_expected_summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Scored once for all tests of the class (the bootstrap is slow in debug builds).
    nonisolated(unsafe) static var cached: RougeReport?

    func report() throws -> RougeReport {
        if let cached = Self.cached { return cached }
        let report = try RougeEvaluation.evaluate(systems: [SystemInput(name: "system", predictions: Fixtures.url("parity_predictions.jsonl"))],
                                     references: Fixtures.url("parity_references.jsonl"))
        Self.cached = report
        return report
    }

    func testEveryExampleWithin1e12() throws {
        let expected = try expected()
        XCTAssertGreaterThanOrEqual(expected.count, 3000)
        let scored = try XCTUnwrap(report().examples["system"])
        XCTAssertEqual(scored.map(\.id), expected.map(\.id))
        var worst = 0.0
        var failures: [String] = []
        for (got, want) in zip(scored, expected) {
            var k = 0
            for type in RougeType.allCases {
                for measure in [Measure.precision, .recall, .fmeasure] {
                    let difference = abs(got.scores[type][measure] - want.values[k])
                    worst = max(worst, difference)
                    if difference > 1e-12 && failures.count < 10 {
                        failures.append("\(want.id) \(type) \(measure): \(got.scores[type][measure]) vs \(want.values[k])")
                    }
                    k += 1
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertLessThanOrEqual(worst, 1e-12)
    }

    func testMeansAndSeededBootstrapMatchReference() throws {
        let metrics = try report().metrics
        let summary = try summary()
        let mean = summary["mean"] as! [String: [String: Double]]
        let bootstrap = summary["bootstrap"] as! [String: [String: Double]]
        let system = try XCTUnwrap(metrics.systems["system"])
        XCTAssertEqual(system.n, 3200)
        for type in RougeType.allCases {
            let got = try XCTUnwrap(system.rouge[type])
            for measure in Measure.allCases {
                XCTAssertEqual(got[measure].mean, mean[type.rawValue]![measure.rawValue]!, accuracy: 1e-12, "\(type) \(measure)")
            }
            // rouge_ref.py: np.random.seed(0); BootstrapAggregator().aggregate()
            XCTAssertEqual(got.fmeasure.low, bootstrap[type.rawValue]!["low_f"]!, accuracy: 1e-12, "\(type) low")
            XCTAssertEqual(got.fmeasure.mid, bootstrap[type.rawValue]!["mid_f"]!, accuracy: 1e-12, "\(type) mid")
            XCTAssertEqual(got.fmeasure.high, bootstrap[type.rawValue]!["high_f"]!, accuracy: 1e-12, "\(type) high")
        }
    }
}
