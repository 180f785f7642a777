// The loss train-lora runs (TokenCrossEntropy): padding ignored, and the backward against central differences,
// plain and label-smoothed, normalised by the step's tokens.
import XCTest
@testable import T5Training

final class TokenCrossEntropyTests: XCTestCase {
    static let vocab = 5
    static let targets: [Int32] = [4, UnpaddedBatch.ignoreIndex, 0]

    /// The summed token loss over `normalizer` tokens (the forward's mean times its counted rows).
    static func loss(_ logits: [Float], epsilon: Float, normalizer: Int) -> Double {
        var lse = [Float](repeating: 0, count: targets.count)
        let mean = logits.withUnsafeBufferPointer {
            TokenCrossEntropy.forward(logits: $0.baseAddress!, targets: targets, vocab: vocab, logSumExp: &lse,
                                      labelSmoothing: epsilon, threads: 1)
        }
        return Double(mean) * 2 / Double(normalizer)
    }

    func testPaddingIsIgnoredAndTheBackwardMatchesFiniteDifferences() {
        var state: UInt64 = 7
        let logits: [Float] = (0..<(3 * Self.vocab)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 4000) / 1000 - 2
        }
        func nll(_ row: Int, _ t: Int) -> Double {
            let r = (0..<Self.vocab).map { Double(logits[row * Self.vocab + $0]) }
            return log(r.map(exp).reduce(0, +)) - r[t]
        }
        XCTAssertEqual(Self.loss(logits, epsilon: 0, normalizer: 2), (nll(0, 4) + nll(2, 0)) / 2, accuracy: 1e-5)
        for (epsilon, normalizer) in [(Float(0), 2), (0, 6), (0.1, 2), (0.1, 6)] {
            var lse = [Float](repeating: 0, count: 3)
            var d = logits
            _ = logits.withUnsafeBufferPointer {
                TokenCrossEntropy.forward(logits: $0.baseAddress!, targets: Self.targets, vocab: Self.vocab, logSumExp: &lse,
                                          labelSmoothing: epsilon, threads: 1)
            }
            d.withUnsafeMutableBufferPointer {
                TokenCrossEntropy.backward(logits: $0.baseAddress!, logSumExp: lse, targets: Self.targets, vocab: Self.vocab,
                                           normalizer: normalizer, labelSmoothing: epsilon, threads: 1)
            }
            XCTAssertEqual(Array(d[Self.vocab..<(2 * Self.vocab)]), [0, 0, 0, 0, 0], "the padded row has no gradient")
            var worst = 0.0
            for i in logits.indices {
                var plus = logits, minus = logits
                plus[i] += 1e-3
                minus[i] -= 1e-3
                let numeric = (Self.loss(plus, epsilon: epsilon, normalizer: normalizer)
                               - Self.loss(minus, epsilon: epsilon, normalizer: normalizer)) / 2e-3
                worst = max(worst, abs(numeric - Double(d[i])) / max(1, abs(numeric)))
            }
            XCTAssertLessThan(worst, 2e-2, "ε \(epsilon), normalizer \(normalizer)")
        }
    }
}
