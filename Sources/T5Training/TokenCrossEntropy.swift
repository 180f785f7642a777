// Mean token cross-entropy over logits[rows, vocab], ignoring label −100 (PyTorch's default), with rows
// split over threads; the backward overwrites the logits with their gradient (they are not needed after).
// With label smoothing ε (Hugging Face's LabelSmoother), a token's loss is (1 − ε)·(−log p_y) + ε·mean_j(−log p_j)
// = lse − (1 − ε)·z_y − (ε/V)·Σ_j z_j, and its gradient p_j − (1 − ε)·[j = y] − ε/V.
import Foundation
import Kernels

enum TokenCrossEntropy {
    static func forward(logits: UnsafePointer<Float>, targets: [Int32], vocab: Int, logSumExp: UnsafeMutablePointer<Float>,
                        labelSmoothing epsilon: Float = 0, threads: Int) -> Float {
        // Σ_j z_j per row, for the smoothing term only (Double: it sums 32k values of either sign).
        var logitSums = [Double](repeating: 0, count: epsilon > 0 ? targets.count : 0)
        logitSums.withUnsafeMutableBufferPointer { sums in
            Parallel.forRanges(targets.count, costPerItem: 4 * vocab) { rows in
                for row in rows {
                    let l = logits + row * vocab
                    var maximum = -Float.infinity
                    for j in 0..<vocab { maximum = max(maximum, l[j]) }
                    var sum: Float = 0
                    for j in 0..<vocab { sum += exp(l[j] - maximum) }
                    logSumExp[row] = maximum + log(sum)
                    if epsilon > 0 {
                        var z: Double = 0
                        for j in 0..<vocab { z += Double(l[j]) }
                        sums[row] = z
                    }
                }
            }
        }
        var total: Double = 0
        var counted = 0
        for (row, target) in targets.enumerated() where target != UnpaddedBatch.ignoreIndex {
            let nll = Double(logSumExp[row]) - Double(logits[row * vocab + Int(target)])
            if epsilon > 0 {
                let e = Double(epsilon)
                total += (1 - e) * nll + e * (Double(logSumExp[row]) - logitSums[row] / Double(vocab))
            } else {
                total += nll
            }
            counted += 1
        }
        return counted == 0 ? 0 : Float(total / Double(counted))
    }

    /// logits ← (softmax − onehot) / normalizer on counted rows, 0 on ignored rows: the gradient of the
    /// summed token loss divided by `normalizer` (this batch's counted rows for the mean).
    static func backward(logits: UnsafeMutablePointer<Float>, logSumExp: UnsafePointer<Float>, targets: [Int32], vocab: Int,
                         normalizer: Int, labelSmoothing epsilon: Float = 0, threads: Int) {
        let scale = normalizer == 0 ? 0 : 1 / Float(normalizer)
        let uniform = scale * epsilon / Float(vocab), onTarget = scale * (1 - epsilon)
        targets.withUnsafeBufferPointer { targets in
            Parallel.forRanges(targets.count, costPerItem: 3 * vocab) { rows in
                for row in rows {
                    let l = logits + row * vocab
                    let target = targets[row]
                    if target == UnpaddedBatch.ignoreIndex {
                        l.update(repeating: 0, count: vocab)
                        continue
                    }
                    let lse = logSumExp[row]
                    if epsilon > 0 {
                        for j in 0..<vocab { l[j] = scale * exp(l[j] - lse) - uniform }
                        l[Int(target)] -= onTarget
                    } else {
                        for j in 0..<vocab { l[j] = scale * exp(l[j] - lse) }
                        l[Int(target)] -= scale
                    }
                }
            }
        }
    }
}
