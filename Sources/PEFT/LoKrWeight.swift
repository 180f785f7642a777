import Kernels

/// LoKr's weight update (PEFT's `make_kron`): ΔW[i·b + k, j·d + l] = w1[i, j] · w2[k, l] · scale for w1 [a, c] and
/// w2 [b, d] (`LoKrShape`), row-major fp32. Both engines and the merge compute it here.
public enum LoKrWeight {
    /// delta [a·b, c·d] (+)= kron(w1, w2) · scale.
    public static func kron(_ w1: UnsafePointer<Float>, _ w2: UnsafePointer<Float>, shape s: LoKrShape, scale: Float,
                            into delta: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let width = s.c * s.d
        for i in 0..<s.a {
            for j in 0..<s.c {
                let w = w1[i * s.c + j] * scale
                for k in 0..<s.b {
                    let row = delta + (i * s.b + k) * width + j * s.d, w2k = w2 + k * s.d
                    if accumulate {
                        for l in 0..<s.d { row[l] += w * w2k[l] }
                    } else {
                        for l in 0..<s.d { row[l] = w * w2k[l] }
                    }
                }
            }
        }
    }

    /// A factor from its tensors: the full matrix, or a·b of its low-rank pair ([rows, r]·[r, cols]).
    public static func factor(full: UnsafePointer<Float>?, a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, rows: Int, cols: Int,
                              rank r: Int, into out: UnsafeMutablePointer<Float>) {
        if let full {
            out.update(from: full, count: rows * cols)
        } else {
            GEMM.matmul(a!, b!, out, m: rows, k: r, n: cols)
        }
    }

    /// ΔW as an array from a module's tensors by name (for loading an adapter); the tensors must fit `s.tensors`.
    public static func delta(_ tensors: [String: [Float]], shape s: LoKrShape, scale: Float) -> [Float] {
        func factor(_ name: String, rows: Int, cols: Int) -> [Float] {
            if let full = tensors[name] { return full }
            var out = [Float](repeating: 0, count: rows * cols)
            GEMM.matmul(tensors[name + "_a"]!, tensors[name + "_b"]!, &out, m: rows, k: s.rank, n: cols)
            return out
        }
        let w1 = factor("lokr_w1", rows: s.a, cols: s.c), w2 = factor("lokr_w2", rows: s.b, cols: s.d)
        var delta = [Float](repeating: 0, count: s.a * s.b * s.c * s.d)
        kron(w1, w2, shape: s, scale: scale, into: &delta)
        return delta
    }
}
