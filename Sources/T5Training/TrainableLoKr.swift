// PEFT's LoKr on one linear: ΔW = kron(w1 [a, c], w2 [b, d]) · α/r (PEFT.LoKrWeight), each factor one matrix or the
// product of a low-rank pair, as PEFT.LoKrShape decides from the layer's widths and r. The backward is the
// Kronecker product's (kronBackward), then through a factored w = w_a·w_b: dw_a = dw·w_bᵀ, dw_b = w_aᵀ·dw.
import Kernels
import PEFT

public final class TrainableLoKr: WeightDeltaAdapter, @unchecked Sendable {
    public let shape: LoKrShape
    public let scale: Float
    /// PEFT's tensors by name (lokr_w1 or lokr_w1_a/_b, lokr_w2 or lokr_w2_a/_b).
    public let tensors: [String: Parameter]

    init(shape: LoKrShape, scale: Float, parameters: [Parameter], names: [String]) {
        self.shape = shape
        self.scale = scale
        tensors = Dictionary(uniqueKeysWithValues: zip(names, parameters))
        super.init(parameters: parameters)
    }

    /// w1 [a, c] and w2 [b, d] as matrices (a low-rank pair multiplied out), in scratch.
    private func factors(scratch: Arena) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        let s = shape
        let w1 = scratch.floats(s.a * s.c), w2 = scratch.floats(s.b * s.d)
        LoKrWeight.factor(full: tensors["lokr_w1"].map { UnsafePointer($0.value) }, a: tensors["lokr_w1_a"].map { UnsafePointer($0.value) },
                          b: tensors["lokr_w1_b"].map { UnsafePointer($0.value) }, rows: s.a, cols: s.c, rank: s.rank, into: w1)
        LoKrWeight.factor(full: tensors["lokr_w2"].map { UnsafePointer($0.value) }, a: tensors["lokr_w2_a"].map { UnsafePointer($0.value) },
                          b: tensors["lokr_w2_b"].map { UnsafePointer($0.value) }, rows: s.b, cols: s.d, rank: s.rank, into: w2)
        return (w1, w2)
    }

    override func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        let (w1, w2) = factors(scratch: scratch)
        LoKrWeight.kron(w1, w2, shape: shape, scale: scale, into: delta)
    }

    override func accumulateGradients(_ layer: LinearLayer, dDelta g: UnsafePointer<Float>, scratch: Arena,
                                      delta: UnsafeMutablePointer<Float>?) {
        let s = shape, count = layer.outFeatures * layer.inFeatures
        let (w1, w2) = factors(scratch: scratch)
        if let delta { LoKrWeight.kron(w1, w2, shape: s, scale: scale, into: delta) }
        let scaled = scratch.floats(count)
        for i in 0..<count { scaled[i] = g[i] * scale }
        let dw1 = tensors["lokr_w1"]?.gradient ?? scratch.zeros(s.a * s.c)
        let dw2 = tensors["lokr_w2"]?.gradient ?? scratch.zeros(s.b * s.d)
        LoKrWeight.kronBackward(scaled, w1: w1, w2: w2, shape: s, dw1: dw1, dw2: dw2)
        for (name, rows, cols, dw) in [("lokr_w1", s.a, s.c, dw1), ("lokr_w2", s.b, s.d, dw2)] where tensors[name] == nil {
            let a = tensors[name + "_a"]!, b = tensors[name + "_b"]!
            if let da = a.gradient { GEMM.matmul(dw, b.value, da, m: rows, k: cols, n: s.rank, transposeB: true, beta: 1) }
            if let db = b.gradient { GEMM.matmul(a.value, dw, db, m: s.rank, k: rows, n: cols, transposeA: true, beta: 1) }
        }
    }
}
