import TestSupport
import XCTest
@testable import Kernels

final class GEMMTests: XCTestCase {
    private func naive(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, ta: Bool, tb: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]) }
            c[i * n + j] = s
        } }
        return c
    }

    func testMatmulAllTransposesMatchNaive() {
        var random = SplitMix64(seed: 1)
        let (m, k, n) = (5, 7, 3)
        for ta in [false, true] { for tb in [false, true] {
            let a = random.array(m * k), b = random.array(k * n)
            var c = [Float](repeating: 0, count: m * n)
            GEMM.matmul(a, b, &c, m: m, k: k, n: n, transposeA: ta, transposeB: tb)
            let expected = naive(a, b, m: m, k: k, n: n, ta: ta, tb: tb)
            for i in c.indices { XCTAssertEqual(c[i], expected[i], accuracy: 1e-5, "ta \(ta) tb \(tb)") }
        } }
    }

    func testLinearBackwardMatchesFiniteDifferences() {
        var random = SplitMix64(seed: 2)
        let (rows, inF, outF) = (3, 4, 5)
        let x = random.array(rows * inF), w = random.array(outF * inF), g = random.array(rows * outF)
        func forward(_ x: [Float], _ w: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * outF)
            Linear.forward(x, weight: w, &y, rows: rows, inFeatures: inF, outFeatures: outF)
            return y
        }
        XCTAssertEqual(forward(x, w)[1 * outF + 2], (0..<inF).reduce(0) { $0 + x[inF + $1] * w[2 * inF + $1] }, accuracy: 1e-5)
        var dx = [Float](repeating: 0, count: rows * inF), dw = [Float](repeating: 0, count: outF * inF)
        Linear.backwardInput(g, weight: w, &dx, rows: rows, inFeatures: inF, outFeatures: outF)
        Linear.backwardWeight(g, input: x, &dw, rows: rows, inFeatures: inF, outFeatures: outF)
        assertGradientMatches(x, analytic: dx, "linear dx") { weightedSum(forward($0, w), g) }
        assertGradientMatches(w, analytic: dw, "linear dW") { weightedSum(forward(x, $0), g) }
    }
}
