import XCTest
@testable import Experiments

/// The loss chart's axes have round ticks (the demo's showed 47.75 steps and 0.791 nats).
final class LineChartTicksTests: XCTestCase {
    func testTicksAreRoundMultiplesInsideTheRange() {
        XCTAssertEqual(LineChartSVG.ticks(from: 1, to: 188), [50, 100, 150])
        XCTAssertEqual(LineChartSVG.ticks(from: 0.78, to: 8.82), [2, 4, 6, 8])
        XCTAssertEqual(LineChartSVG.ticks(from: 1.1, to: 1.6).map(LineChartSVG.label), ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"])
        for (low, high) in [(0.0, 1.0), (-3.0, 7.0), (1.0, 1540.0), (0.013, 0.0171)] {
            let ticks = LineChartSVG.ticks(from: low, to: high)
            XCTAssertTrue((2...11).contains(ticks.count), "\(low)...\(high): \(ticks)")
            XCTAssertTrue(ticks.allSatisfy { $0 >= low - 1e-12 && $0 <= high + 1e-12 }, "\(ticks)")
            let step = ticks[1] - ticks[0], power = pow(10, floor(log10(step)))
            XCTAssertTrue([1.0, 2, 5].contains { abs(step / power - $0) < 1e-6 }, "step \(step) of \(ticks)")
        }
        XCTAssertEqual(LineChartSVG.ticks(from: -3, to: 7), [-2, 0, 2, 4, 6])
    }

    func testLabelsUseTheDigitsTheValueNeeds() {
        XCTAssertEqual(LineChartSVG.label(50), "50")
        XCTAssertEqual(LineChartSVG.label(2.5), "2.5")
        XCTAssertEqual(LineChartSVG.label(0.25), "0.25")
        XCTAssertEqual(LineChartSVG.label(-0.0), "0")
        XCTAssertEqual(LineChartSVG.label(1.2000000000000002), "1.2")
    }
}
