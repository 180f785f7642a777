import XCTest
@testable import Kernels

final class LossAndSelectionTests: XCTestCase {
    func testCrossEntropyIgnoresPaddingAndBackwardMatchesFiniteDifferences() {
        var random = TestRandom(seed: 7)
        let vocab = 5
        let logits = random.array(3 * vocab, scale: 2)
        let targets: [Int32] = [4, CrossEntropy.ignoreIndex, 0]
        let loss = CrossEntropy.forward(logits: logits, targets: targets, vocab: vocab)
        func nll(_ row: Int, _ t: Int) -> Double {
            let r = (0..<vocab).map { Double(logits[row * vocab + $0]) }
            return log(r.map(exp).reduce(0, +)) - r[t]
        }
        XCTAssertEqual(Double(loss), (nll(0, 4) + nll(2, 0)) / 2, accuracy: 1e-5)
        var lse = [Float](repeating: 0, count: 3), d = [Float](repeating: 0, count: logits.count)
        _ = CrossEntropy.forward(logits: logits, targets: targets, vocab: vocab, logSumExp: &lse)
        CrossEntropy.backward(logits: logits, logSumExp: lse, targets: targets, vocab: vocab, dlogits: &d)
        XCTAssertEqual(Array(d[vocab..<(2 * vocab)]), [0, 0, 0, 0, 0])
        assertGradientMatches(logits, analytic: d, step: 1e-3, "cross-entropy") {
            Double(CrossEntropy.forward(logits: $0, targets: targets, vocab: vocab))
        }
    }

    func testArgmaxAndTopKPreferLowerIndexOnTies() {
        let x: [Float] = [1, 5, 3, 5, -2, 4]
        XCTAssertEqual(Selection.argmax(x, count: x.count), 1)
        let top = Selection.topK(x, count: x.count, k: 3)
        XCTAssertEqual(top.map(\.index), [1, 3, 5])
        XCTAssertEqual(top.map(\.value), [5, 5, 4])
        XCTAssertEqual(Selection.topK(x, count: x.count, k: 10).count, 6)
    }
}
