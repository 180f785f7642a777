// Mean token cross-entropy over logits[rows, vocab], ignoring label −100 (PyTorch's default), with rows
// split over threads; the backward overwrites the logits with their gradient (they are not needed after).
import Foundation
import Kernels

enum TokenCrossEntropy {
    static func forward(logits: UnsafePointer<Float>, targets: [Int32], vocab: Int, logSumExp: UnsafeMutablePointer<Float>,
                        threads: Int) -> Float {
        Parallel.forRanges(targets.count, costPerItem: 4 * vocab) { rows in
            for row in rows {
                let l = logits + row * vocab
                var maximum = -Float.infinity
                for j in 0..<vocab { maximum = max(maximum, l[j]) }
                var sum: Float = 0
                for j in 0..<vocab { sum += exp(l[j] - maximum) }
                logSumExp[row] = maximum + log(sum)
            }
        }
        var total: Double = 0
        var counted = 0
        for (row, target) in targets.enumerated() where target != TrainingBatch.ignoreIndex {
            total += Double(logSumExp[row]) - Double(logits[row * vocab + Int(target)])
            counted += 1
        }
        return counted == 0 ? 0 : Float(total / Double(counted))
    }

    /// logits ← (softmax − onehot) / normalizer on counted rows, 0 on ignored rows: the gradient of the
    /// summed token loss divided by `normalizer` (this batch's counted rows for the mean).
    static func backward(logits: UnsafeMutablePointer<Float>, logSumExp: UnsafePointer<Float>, targets: [Int32], vocab: Int,
                         normalizer: Int, threads: Int) {
        let scale = normalizer == 0 ? 0 : 1 / Float(normalizer)
        targets.withUnsafeBufferPointer { targets in
            Parallel.forRanges(targets.count, costPerItem: 3 * vocab) { rows in
                for row in rows {
                    let l = logits + row * vocab
                    let target = targets[row]
                    if target == TrainingBatch.ignoreIndex {
                        l.update(repeating: 0, count: vocab)
                        continue
                    }
                    let lse = logSumExp[row]
                    for j in 0..<vocab { l[j] = scale * exp(l[j] - lse) }
                    l[Int(target)] -= scale
                }
            }
        }
    }
}
