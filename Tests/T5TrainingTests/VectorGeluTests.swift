// The vectorised gated gelu_new against gelu_new evaluated in Double (values and derivatives).
import XCTest
import Foundation
@testable import T5Training

final class VectorGeluTests: XCTestCase {
    func testMatchesScalarGeluNewIncludingTailAndExtremes() {
        var rng = SplitMix(state: 3)
        let count = 1003
        var a = (0..<count).map { _ in 4 * rng.normal() }
        a[0] = 0; a[1] = -30; a[2] = 30; a[3] = 1e-4; a[4] = -9.5; a[5] = 12
        let b = (0..<count).map { _ in rng.normal() }
        let g = (0..<count).map { _ in rng.normal() }
        var out = [Float](repeating: 0, count: count), da = out, db = out
        VectorGelu.gatedForward(a, b, &out, count: count)
        VectorGelu.gatedBackward(g, a: a, b: b, da: &da, db: &db, count: count)
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
