// PEFT's LoRA on one linear: y = x·Wᵀ + scale · (dropout(x)·Aᵀ)·Bᵀ with A [r, in] and B [out, r]. The branch stays
// fp32 in the bf16 mode, as PEFT keeps adapters in fp32 on a bf16 model. (A loaded adapter for inference is
// T5.LoRAAdapter.)
import Kernels
import PEFT

public final class TrainableLoRA: LinearAdapter, @unchecked Sendable {
    public let a: Parameter
    public let b: Parameter
    public let rank: Int
    public let scale: Float
    public let dropout: Float

    init(a: Parameter, b: Parameter, rank: Int, scale: Float, dropout: Float) {
        self.a = a
        self.b = b
        self.rank = rank
        self.scale = scale
        self.dropout = dropout
        super.init(parameters: [a, b])
    }

    /// Saves dropout(x)·Aᵀ [rows, r]. Needs rows·in floats of scratch when LoRA dropout is active.
    override func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                          arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        layer.baseForward(x, rows: rows, into: y)
        let hidden = arena.floats(rows * rank)
        if let mask = context.loraDropout(dropout, site: layer.site) {
            let dropped = context.scratch.floats(rows * layer.inFeatures)
            mask.apply(x, into: dropped, count: rows * layer.inFeatures)
            Linear.forward(dropped, weight: a.value, hidden, rows: rows, inFeatures: layer.inFeatures, outFeatures: rank)
        } else {
            Linear.forward(x, weight: a.value, hidden, rows: rows, inFeatures: layer.inFeatures, outFeatures: rank)
        }
        Linear.forward(hidden, weight: b.value, y, rows: rows, inFeatures: rank, outFeatures: layer.outFeatures,
                       accumulate: true, scale: scale)
        return hidden
    }

    override func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                           saved: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?,
                           accumulateInput: Bool, context: StepContext) {
        layer.baseBackward(dy, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
        guard let hidden = saved else { return }
        let (r, inF, outF) = (rank, layer.inFeatures, layer.outFeatures)
        // dB += scale · dyᵀ·hidden ; dHidden = scale · dy·B
        if let db = b.gradient {
            GEMM.matmul(dy, hidden, db, m: outF, k: rows, n: r, transposeA: true, alpha: scale, beta: 1)
        }
        let dHidden = context.scratch.floats(rows * r)
        GEMM.matmul(dy, b.value, dHidden, m: rows, k: outF, n: r, alpha: scale)
        if let mask = context.loraDropout(dropout, site: layer.site) {
            let dropped = context.scratch.floats(rows * inF)
            mask.apply(x, into: dropped, count: rows * inF)
            if let da = a.gradient {
                GEMM.matmul(dHidden, dropped, da, m: r, k: rows, n: inF, transposeA: true, beta: 1)
            }
            if let dx {
                // dx += mask ⊙ (dHidden·A), reusing `dropped` for the product
                GEMM.matmul(dHidden, a.value, dropped, m: rows, k: r, n: inF)
                mask.apply(dropped, count: rows * inF)
                Elementwise.add(dropped, into: dx, count: rows * inF)
            }
        } else {
            if let da = a.gradient {
                GEMM.matmul(dHidden, x, da, m: r, k: rows, n: inF, transposeA: true, beta: 1)
            }
            if let dx {
                GEMM.matmul(dHidden, a.value, dx, m: rows, k: r, n: inF, beta: 1)
            }
        }
    }

    override public func merge(into weight: UnsafeMutablePointer<Float>, layer: LinearLayer) {
        mergeLoRA(into: weight, a: a.value, b: b.value, rank: rank, inFeatures: layer.inFeatures,
                  outFeatures: layer.outFeatures, scale: scale)
    }
}
