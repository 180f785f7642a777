// The counter-based dropout masks: PyTorch train-mode statistics, reproducibility by (seed, step, site),
// and independence from how a tensor is split into regions.
import XCTest
import Kernels
@testable import T5Training

final class DropoutMaskTests: XCTestCase {
    func testKeepsAboutOneMinusPAndScalesKeptValues() {
        let mask = DropoutMask(probability: 0.1, seed: 42, step: 0, site: 7)
        let n = 200_000
        var x = [Float](repeating: 1, count: n)
        x.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n) }
        let kept = x.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / Double(n), 0.9, accuracy: 0.004)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.9) < 1e-6 })
        // E[dropout(x)] = x
        XCTAssertEqual(Double(x.reduce(0, +)) / Double(n), 1, accuracy: 0.01)
    }

    func testSameMaskForAnySplitAndFactorAgrees() {
        let mask = DropoutMask(probability: 0.3, seed: 1, step: 9, site: 3)
        let n = 1001
        var whole = [Float](repeating: 2, count: n), parts = whole
        whole.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n) }
        parts.withUnsafeMutableBufferPointer { p in
            mask.apply(p.baseAddress!, count: 333)
            mask.apply(p.baseAddress! + 333, count: n - 333, offset: 333)
        }
        XCTAssertEqual(whole, parts)
        for i in 0..<n { XCTAssertEqual(whole[i], 2 * mask.factor(at: i)) }
    }

    func testParallelApplicationEqualsSerial() {
        Parallel.setThreads(2)
        defer { Parallel.setThreads(1) }
        let mask = DropoutMask(probability: 0.1, seed: 5, step: 2, site: 8)
        let n = 300_001
        var a = (0..<n).map { Float($0 % 17) }, b = a
        a.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n, offset: 3) }
        b.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n, offset: 3, parallel: false) }
        XCTAssertEqual(a, b)
    }

    /// y = dropout(x) in one pass equals the in-place form, serial and split over threads; an inactive mask copies.
    func testOutOfPlaceEqualsInPlace() {
        Parallel.setThreads(2)
        defer { Parallel.setThreads(1) }
        let n = 300_001, x = (0..<n).map { Float($0 % 13) - 6 }
        for (mask, parallel) in [(DropoutMask(probability: 0.1, seed: 5, step: 2, site: 8), true),
                                 (DropoutMask(probability: 0.1, seed: 5, step: 2, site: 8), false),
                                 (DropoutMask(probability: 0, seed: 5, step: 2, site: 8), true)] {
            var inPlace = x, y = [Float](repeating: .nan, count: n)
            inPlace.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n, offset: 5, parallel: parallel) }
            x.withUnsafeBufferPointer { src in
                y.withUnsafeMutableBufferPointer { mask.apply(src.baseAddress!, into: $0.baseAddress!, count: n, offset: 5, parallel: parallel) }
            }
            XCTAssertEqual(y, inPlace, "p \(mask.probability), parallel \(parallel)")
        }
    }

    func testMasksDifferBetweenStepsSitesAndSeeds() {
        func pattern(_ m: DropoutMask) -> [Bool] { (0..<512).map { m.factor(at: $0) == 0 } }
        let base = pattern(DropoutMask(probability: 0.5, seed: 1, step: 1, site: 1))
        XCTAssertEqual(base, pattern(DropoutMask(probability: 0.5, seed: 1, step: 1, site: 1)))
        XCTAssertNotEqual(base, pattern(DropoutMask(probability: 0.5, seed: 1, step: 2, site: 1)))
        XCTAssertNotEqual(base, pattern(DropoutMask(probability: 0.5, seed: 1, step: 1, site: 2)))
        XCTAssertNotEqual(base, pattern(DropoutMask(probability: 0.5, seed: 2, step: 1, site: 1)))
    }

    func testZeroProbabilityIsInactive() {
        XCTAssertFalse(DropoutMask(probability: 0, seed: 1, step: 1, site: 1).isActive)
    }
}
