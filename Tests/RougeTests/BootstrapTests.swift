import XCTest
@testable import Rouge

final class BootstrapTests: XCTestCase {
    func testMersenneTwisterMatchesReferenceSequence() {
        var mt = MersenneTwister(seed: 5489)
        XCTAssertEqual(mt.next(), 3_499_211_612)  // MT19937's published first output
        // np.random.seed(0); np.random.choice(np.arange(10), size=10)
        var numpy = MersenneTwister(seed: 0)
        XCTAssertEqual((0..<10).map { _ in numpy.nextIndex(below: 10) }, [5, 0, 3, 3, 7, 9, 3, 5, 2, 4])
        // np.random.seed(42); np.random.choice(np.arange(1000), size=5)
        var other = MersenneTwister(seed: 42)
        XCTAssertEqual((0..<5).map { _ in other.nextIndex(below: 1000) }, [102, 435, 860, 270, 106])
    }

    func testPercentilesMatchNumPy() {
        // np.percentile([0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4], 100 * [0.025, 0.5, 0.975])
        let interval = Bootstrap.interval(of: [0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4], configuration: BootstrapConfiguration())
        XCTAssertEqual(interval.low, 0.115, accuracy: 1e-15)
        XCTAssertEqual(interval.mid, 0.4, accuracy: 1e-15)
        XCTAssertEqual(interval.high, 0.87, accuracy: 1e-15)
    }

    func testPairedDifferenceOfIdenticalSystemsIsZero() {
        let values = (0..<50).map { Double($0 % 7) / 7 }
        let d = RougeEvaluation.pairedDifference(baseline: values, candidate: values, configuration: BootstrapConfiguration())
        XCTAssertEqual(d.delta, 0)
        XCTAssertEqual(d.low, 0)
        XCTAssertEqual(d.high, 0)
        XCTAssertEqual(d.shareAtOrBelowZero, 1)
    }

    func testPairedDifferenceOfUniformlyBetterSystem() {
        let base = (0..<50).map { Double($0 % 7) / 10 }
        let better = base.map { $0 + 0.05 }
        let d = RougeEvaluation.pairedDifference(baseline: base, candidate: better, configuration: BootstrapConfiguration())
        XCTAssertEqual(d.delta, 0.05, accuracy: 1e-12)
        XCTAssertEqual(d.low, 0.05, accuracy: 1e-12)
        XCTAssertEqual(d.high, 0.05, accuracy: 1e-12)
        XCTAssertEqual(d.shareAtOrBelowZero, 0)
    }

    /// Same seed, same figures; another seed, other resamples.
    func testSeedDeterminesResamples() {
        let values = (0..<40).map { Double(($0 * 37) % 11) / 11 }
        func interval(_ seed: UInt32) -> Interval {
            var g = MersenneTwister(seed: seed)
            let means = Bootstrap.resampledMeans(columns: [values], resamples: 200, generator: &g)
            return Bootstrap.interval(of: means[0], configuration: BootstrapConfiguration(seed: seed))
        }
        XCTAssertEqual(interval(3), interval(3))
        XCTAssertNotEqual(interval(3), interval(4))
    }

    func testInvalidConfigurationIsRejected() {
        XCTAssertThrowsError(try BootstrapConfiguration(resamples: 0).validated())
        XCTAssertThrowsError(try BootstrapConfiguration(confidence: 1.5).validated())
    }
}
