// Mean token cross-entropy over logits[rows, vocab] with targets, ignoring target −100 (PyTorch's default).
import Foundation

public enum CrossEntropy {
    public static let ignoreIndex: Int32 = -100

    /// Returns the mean loss over non-ignored rows (0 when none), and per-row log-sum-exp for backward.
    public static func forward(logits: UnsafePointer<Float>, targets: [Int32], vocab: Int,
                               logSumExp: UnsafeMutablePointer<Float>? = nil) -> Float {
        var total: Double = 0
        var counted = 0
        for (row, target) in targets.enumerated() {
            let l = logits + row * vocab
            var maximum = -Float.infinity
            for j in 0..<vocab where l[j] > maximum { maximum = l[j] }
            var sum: Double = 0
            for j in 0..<vocab { sum += Double(exp(l[j] - maximum)) }
            let lse = Float(Double(maximum) + log(sum))
            logSumExp?[row] = lse
            if target == ignoreIndex { continue }
            total += Double(lse - l[Int(target)])
            counted += 1
        }
        return counted == 0 ? 0 : Float(total / Double(counted))
    }

    /// dlogits = dloss · (softmax − onehot) / count for counted rows, 0 for ignored rows.
    public static func backward(logits: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>, targets: [Int32], vocab: Int,
                                dloss: Float = 1, dlogits: UnsafeMutablePointer<Float>) {
        let counted = targets.filter { $0 != ignoreIndex }.count
        let scale = counted == 0 ? 0 : dloss / Float(counted)
        for (row, target) in targets.enumerated() {
            let l = logits + row * vocab, d = dlogits + row * vocab
            if target == ignoreIndex {
                for j in 0..<vocab { d[j] = 0 }
                continue
            }
            let lse = logSumExp[row]
            for j in 0..<vocab { d[j] = scale * exp(l[j] - lse) }
            d[Int(target)] -= scale
        }
    }
}
