// Row softmax over a valid prefix of each row (right padding and causal masks are both prefixes);
// columns past the prefix get probability 0, as with HF's additive finfo.min mask.
// Eight lanes at a time (VectorMath.exp); the lane sums are added in a fixed order, so results are
// reproducible.

public enum Softmax {
    typealias V = SIMD8<Float>

    /// In place on `scores[rows, cols]` (row stride `stride`, default `cols`); `validColumns(row)` gives the prefix length.
    /// With `bias`, softmax(scores + bias) (added in the same pass as the maximum).
    @inline(__always)
    public static func forward(_ scores: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil,
                               bias: BiasRows? = nil, validColumns: (Int) -> Int) {
        let stride = stride ?? cols
        for row in 0..<rows {
            let s = scores + row * stride
            let valid = min(cols, max(0, validColumns(row)))
            if valid == 0 {
                // HF adds finfo.min to every column: the softmax of equal values is uniform.
                for j in 0..<cols { s[j] = 1 / Float(cols) }
                continue
            }
            forwardRow(s, valid: valid, bias: bias?.row(row))
            for j in valid..<cols { s[j] = 0 }
        }
    }

    @inline(__always)
    static func forwardRow(_ s: UnsafeMutablePointer<Float>, valid: Int, bias: UnsafePointer<Float>? = nil) {
        var maxima = V(repeating: -.infinity)
        var j = 0
        while j < valid {
            var lanes = VectorMath.load(s, j, valid)
            if let bias {
                lanes += VectorMath.load(bias, j, valid)
                VectorMath.store(lanes, s, j, valid)
            }
            let candidate = j + 8 <= valid ? lanes : masked(lanes, count: valid - j)
            maxima.replace(with: candidate, where: candidate .> maxima)
            j += 8
        }
        let maximum = V(repeating: maxima.max())
        var sums = V.zero
        j = 0
        while j < valid {
            var e = VectorMath.exp(VectorMath.load(s, j, valid) - maximum)
            if j + 8 > valid { e = masked(e, count: valid - j, fill: 0) }
            VectorMath.store(e, s, j, valid)
            sums += e
            j += 8
        }
        let inverse = V(repeating: 1 / sums.sum())
        j = 0
        while j < valid {
            VectorMath.store(VectorMath.load(s, j, valid) * inverse, s, j, valid)
            j += 8
        }
    }

    /// Lanes at and past `count` replaced by `fill` (default -inf, neutral for a maximum).
    @inline(__always)
    static func masked(_ v: V, count: Int, fill: Float = -.infinity) -> V {
        var out = V(repeating: fill)
        for lane in 0..<count { out[lane] = v[lane] }
        return out
    }

    /// dscores = p ⊙ (dp − Σ dp·p) per row (overwrites `dp` with the result; `probs` are the saved outputs).
    public static func backward(_ dp: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, rows: Int, cols: Int) {
        for row in 0..<rows {
            let d = dp + row * cols, p = probs + row * cols
            var dots = V.zero
            var j = 0
            while j < cols {
                dots += VectorMath.load(d, j, cols) * VectorMath.load(p, j, cols)
                j += 8
            }
            let dot = V(repeating: dots.sum())
            j = 0
            while j < cols {
                VectorMath.store(VectorMath.load(p, j, cols) * (VectorMath.load(d, j, cols) - dot), d, j, cols)
                j += 8
            }
        }
    }
}
