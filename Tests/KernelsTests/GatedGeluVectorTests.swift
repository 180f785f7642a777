// The vectorised gated gelu_new (GeluNew.gated*) against gelu_new evaluated in Double (values and derivatives).
import TestSupport
import XCTest
import Foundation
@testable import Kernels

final class GatedGeluVectorTests: XCTestCase {
    func testMatchesScalarGeluNewIncludingTailAndExtremes() {
        var rng = SplitMix64(seed: 3)
        let count = 1003
        var a = (0..<count).map { _ in 12 * rng.symmetric() }
        a[0] = 0; a[1] = -30; a[2] = 30; a[3] = 1e-4; a[4] = -9.5; a[5] = 12
        let b = (0..<count).map { _ in 3 * rng.symmetric() }
        let g = (0..<count).map { _ in 3 * rng.symmetric() }
        var out = [Float](repeating: 0, count: count), da = out, db = out
        GeluNew.gatedForward(a, b, &out, count: count)
        GeluNew.gatedBackward(g, a: a, b: b, da: &da, db: &db, count: count)
        for i in 0..<count {
            let x = Double(a[i]), k = (2 / Double.pi).squareRoot()
            let t = tanh(k * (x + 0.044715 * x * x * x))
            let value = Float(0.5 * x * (1 + t))
            let derivative = Float(0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
            XCTAssertEqual(out[i], value * b[i], accuracy: 2e-6 * max(1, abs(value * b[i])), "value at \(a[i])")
            XCTAssertEqual(db[i], g[i] * value, accuracy: 2e-6 * max(1, abs(g[i] * value)), "db at \(a[i])")
            XCTAssertEqual(da[i], g[i] * b[i] * derivative, accuracy: 2e-6 * max(1, abs(g[i] * b[i] * derivative)), "da at \(a[i])")
        }
    }
}

final class VectorExpTests: XCTestCase {
    func testExpMatchesDoubleAcrossTheClampedRange() {
        var x: [Float] = stride(from: -87, through: 88, by: 0.0173).map { Float($0) }
        x += [0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 88, -87]
        for start in stride(from: 0, to: x.count, by: 8) {
            let values = x.withUnsafeBufferPointer { VectorMath.load($0.baseAddress!, start, x.count) }
            let e = VectorMath.exp(values)
            for lane in 0..<min(8, x.count - start) {
                let exact = Foundation.exp(Double(values[lane]))
                XCTAssertEqual(Double(e[lane]), exact, accuracy: 4e-7 * exact, "exp(\(values[lane]))")
            }
        }
        // beyond the clamp: finite, no NaN, monotone limits
        let extreme = VectorMath.exp(SIMD8<Float>(-1e9, -200, -88, 89, 200, .infinity, -.infinity, 0))
        XCTAssertEqual(extreme[0], extreme[1])
        XCTAssertTrue((0..<8).allSatisfy { extreme[$0].isFinite && extreme[$0] > 0 })
    }
}

final class VectorExpNaNTests: XCTestCase {
    func testNaNPropagates() {
        let e = VectorMath.exp(SIMD8<Float>(.nan, 0, 1, 2, 3, 4, 5, 6))
        XCTAssertTrue(e[0].isNaN)
        XCTAssertEqual(e[1], 1)
    }
}
