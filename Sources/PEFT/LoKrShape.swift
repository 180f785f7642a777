/// How LoKr splits a linear [out, in] (PEFT's `factorization` and `update_layer`): out = a·b and in = c·d, with
/// ΔW = kron(w1 [a, c], w2 [b, d]) · scale; w1 is one matrix or, with `decompose_both` and a small r, w1_a [a, r] ·
/// w1_b [r, c]; w2 is one matrix or, when r < max(b, d)/2, w2_a [b, r] · w2_b [r, d].
public struct LoKrShape: Sendable, Equatable {
    public let a, b, c, d: Int
    public let rank: Int
    /// Whether w1 (w2) is one full matrix; otherwise its two low-rank factors.
    public let fullW1, fullW2: Bool

    public init(inFeatures: Int, outFeatures: Int, rank r: Int, decomposeBoth: Bool, decomposeFactor: Int) {
        (c, d) = Self.factorization(inFeatures, factor: decomposeFactor)
        (a, b) = Self.factorization(outFeatures, factor: decomposeFactor)
        rank = r
        // Python compares r with a float: r < max(...) / 2
        fullW1 = !(decomposeBoth && Double(r) < Double(max(a, c)) / 2)
        fullW2 = !(Double(r) < Double(max(b, d)) / 2)
    }

    /// PEFT's `factorization(dimension, factor)`: two divisors m ≤ n with m·n = dimension, m the given factor when it
    /// divides, else as close to each other as the search reaches (not above `factor` when one is given).
    public static func factorization(_ dimension: Int, factor: Int = -1) -> (Int, Int) {
        if factor > 0, dimension % factor == 0 { return (factor, dimension / factor) }
        let limit = factor == -1 ? dimension : factor
        var (m, n) = (1, dimension)
        let length = m + n
        while m < n {
            var newM = m + 1
            while dimension % newM != 0 { newM += 1 }
            let newN = dimension / newM
            if newM + newN > length || newM > limit { break }
            (m, n) = (newM, newN)
        }
        return m > n ? (n, m) : (m, n)
    }

    /// The tensors a module has, with their shapes, in PEFT's state-dict order.
    public var tensors: [(name: String, shape: [Int])] {
        (fullW1 ? [("lokr_w1", [a, c])] : [("lokr_w1_a", [a, rank]), ("lokr_w1_b", [rank, c])])
            + (fullW2 ? [("lokr_w2", [b, d])] : [("lokr_w2_a", [b, rank]), ("lokr_w2_b", [rank, d])])
    }
}
