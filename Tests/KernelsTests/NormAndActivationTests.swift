import TestSupport
import XCTest
@testable import Kernels

final class NormAndActivationTests: XCTestCase {
    func testRMSNormForwardMatchesNaiveAndBackwardMatchesFiniteDifferences() {
        var random = SplitMix64(seed: 3)
        let (rows, dim, eps): (Int, Int, Float) = (3, 6, 1e-6)
        let x = random.array(rows * dim), w = random.array(dim).map { 1 + 0.3 * $0 }, g = random.array(rows * dim)
        func forward(_ x: [Float], _ w: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * dim)
            RMSNorm.forward(x, weight: w, &y, rows: rows, dim: dim, eps: eps)
            return y
        }
        let y = forward(x, w)
        for r in 0..<rows {
            let ms = (0..<dim).reduce(Float(0)) { $0 + x[r * dim + $1] * x[r * dim + $1] } / Float(dim)
            for i in 0..<dim { XCTAssertEqual(y[r * dim + i], w[i] * x[r * dim + i] / (ms + eps).squareRoot(), accuracy: 1e-5) }
        }
        var rstd = [Float](repeating: 0, count: rows), scratch = [Float](repeating: 0, count: rows * dim)
        RMSNorm.forward(x, weight: w, &scratch, rstd: &rstd, rows: rows, dim: dim, eps: eps)
        var dx = [Float](repeating: 0, count: rows * dim), dw = [Float](repeating: 0, count: dim)
        RMSNorm.backward(g, x: x, weight: w, rstd: rstd, dx: &dx, dweight: &dw, rows: rows, dim: dim)
        assertGradientMatches(x, analytic: dx, step: 1e-3, "rmsnorm dx") { weightedSum(forward($0, w), g) }
        assertGradientMatches(w, analytic: dw, step: 1e-3, "rmsnorm dw") { weightedSum(forward(x, $0), g) }
    }

    func testGeluNewMatchesTorchValues() {
        // torch: transformers.activations.NewGELUActivation()(tensor([-3, -1, 0, 0.5, 1, 2.5]))
        let expected: [Float] = [-0.0036374331, -0.1588079929, 0, 0.3457140028, 0.8411920071, 2.4849157333]
        for (x, value) in zip([-3, -1, 0, 0.5, 1, 2.5] as [Float], expected) {
            XCTAssertEqual(GeluNew.value(x), value, accuracy: 2e-6, "gelu_new(\(x))")
        }
    }

    func testGatedGeluBackwardMatchesFiniteDifferences() {
        var random = SplitMix64(seed: 4)
        let n = 12
        let a = random.array(n, scale: 3), b = random.array(n), g = random.array(n)
        func forward(_ a: [Float], _ b: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: n)
            GeluNew.gatedForward(a, b, &out, count: n)
            return out
        }
        var da = [Float](repeating: 0, count: n), db = [Float](repeating: 0, count: n)
        GeluNew.gatedBackward(g, a: a, b: b, da: &da, db: &db, count: n)
        assertGradientMatches(a, analytic: da, step: 1e-3, "gated gelu da") { weightedSum(forward($0, b), g) }
        assertGradientMatches(b, analytic: db, step: 1e-3, "gated gelu db") { weightedSum(forward(a, $0), g) }
    }

    func testReLUForwardAndBackward() {
        var x: [Float] = [-1, 0.5, 0, 2]
        ReLU.forward(&x, count: 4)
        XCTAssertEqual(x, [0, 0.5, 0, 2])
        var dx = [Float](repeating: 9, count: 4)
        ReLU.backward([1, 2, 3, 4], output: x, dx: &dx, count: 4)
        XCTAssertEqual(dx, [0, 2, 0, 4])
    }

    func testEmbeddingGatherAndScatterAdd() {
        let table: [Float] = [0, 1, 10, 11, 20, 21]
        var out = [Float](repeating: 0, count: 6)
        Embedding.forward(ids: [2, 0, 2], table: table, dim: 2, &out)
        XCTAssertEqual(out, [20, 21, 0, 1, 20, 21])
        var dtable = [Float](repeating: 0, count: 6)
        Embedding.backward(ids: [2, 0, 2], dout: [1, 2, 3, 4, 5, 6], dim: 2, dtable: &dtable)
        XCTAssertEqual(dtable, [3, 4, 0, 0, 6, 8])
    }
}
