// Row softmax over a valid prefix of each row (right padding and causal masks are both prefixes);
// columns past the prefix get probability 0, as with HF's additive finfo.min mask.
import Foundation

public enum Softmax {
    /// In place on `scores[rows, cols]` (row stride `stride`, default `cols`); `validColumns(row)` gives the prefix length.
    @inline(__always)
    public static func forward(_ scores: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil,
                               validColumns: (Int) -> Int) {
        let stride = stride ?? cols
        for row in 0..<rows {
            let s = scores + row * stride
            let valid = min(cols, max(0, validColumns(row)))
            if valid == 0 {
                // HF adds finfo.min to every column: the softmax of equal values is uniform.
                for j in 0..<cols { s[j] = 1 / Float(cols) }
                continue
            }
            var maximum = -Float.infinity
            for j in 0..<valid where s[j] > maximum { maximum = s[j] }
            var sum: Float = 0
            for j in 0..<valid {
                let e = exp(s[j] - maximum)
                s[j] = e
                sum += e
            }
            let inverse = 1 / sum
            for j in 0..<valid { s[j] *= inverse }
            for j in valid..<cols { s[j] = 0 }
        }
    }

    /// dscores = p ⊙ (dp − Σ dp·p) per row (overwrites `dp` with the result; `probs` are the saved outputs).
    public static func backward(_ dp: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, rows: Int, cols: Int) {
        for row in 0..<rows {
            let d = dp + row * cols, p = probs + row * cols
            var dot: Float = 0
            for j in 0..<cols { dot += d[j] * p[j] }
            for j in 0..<cols { d[j] = p[j] * (d[j] - dot) }
        }
    }
}
