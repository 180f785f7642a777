// A bias-free Linear (PyTorch layout W[out, in], y = x·Wᵀ) with an optional PEFT LoRA branch:
// y = x·Wᵀ + scale · (dropout(x)·Aᵀ)·Bᵀ with A [r, in] and B [out, r].
// The same code serves frozen and trainable weights: the weight-gradient GEMM runs only when W has a gradient.
// A frozen W in the bf16 mode multiplies as bf16 (input and output gradient rounded on the way in, fp32 sums);
// the LoRA branch stays fp32, as PEFT keeps adapters in fp32 on a bf16 model.
import Kernels

/// One layer's trainable LoRA branch (A and B as Parameters with gradients); a loaded adapter for inference
/// is T5.LoRAAdapter.
public final class TrainableLoRA: @unchecked Sendable {
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
    }
}

public final class LinearLayer: @unchecked Sendable {
    /// HF module path, e.g. "decoder.block.3.layer.1.EncDecAttention.q".
    public let path: String
    public let weight: Parameter
    /// The frozen weight rounded to bf16 in the bf16 mode: then every product with W uses it (BF16GEMM).
    public let bf16: BF16Buffer?
    public let inFeatures: Int
    public let outFeatures: Int
    public internal(set) var lora: TrainableLoRA?
    /// Distinguishes this layer's LoRA-dropout masks from every other dropout site.
    let site: UInt64

    /// W as its products read it: the bf16 copy in the bf16 mode, else the fp32 values.
    var product: Linear.Weight { bf16.map { .bf16(UnsafePointer($0.pointer)) } ?? .f32(UnsafePointer(weight.value)) }

    init(path: String, weight: Parameter, bf16: BF16Buffer? = nil, site: UInt64) {
        precondition(bf16 == nil || !weight.isTrainable, "a bf16 weight is frozen")
        self.path = path
        self.weight = weight
        self.bf16 = bf16
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        self.site = site
    }

    /// What the forward keeps for backward besides the input itself.
    struct Saved {
        /// dropout(x)·Aᵀ [rows, r] (nil without LoRA).
        var loraHidden: UnsafeMutablePointer<Float>?
    }

    /// y[rows, out] = x·Wᵀ (+ LoRA). `scratch` needs rows·in floats when LoRA dropout is active.
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, arena: Arena,
                 context: StepContext) -> Saved {
        Linear.forward(x, weight: product, y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        guard let lora else { return Saved(loraHidden: nil) }
        let hidden = arena.floats(rows * lora.rank)
        let mask = context.loraDropout(lora.dropout, site: site)
        if let mask {
            let dropped = context.scratch.floats(rows * inFeatures)
            mask.apply(x, into: dropped, count: rows * inFeatures)
            Linear.forward(dropped, weight: lora.a.value, hidden, rows: rows, inFeatures: inFeatures, outFeatures: lora.rank)
        } else {
            Linear.forward(x, weight: lora.a.value, hidden, rows: rows, inFeatures: inFeatures, outFeatures: lora.rank)
        }
        Linear.forward(hidden, weight: lora.b.value, y, rows: rows, inFeatures: lora.rank, outFeatures: outFeatures,
                       accumulate: true, scale: lora.scale)
        return Saved(loraHidden: hidden)
    }

    /// Accumulates gradients of W (if trainable), A and B, and dx (+)= ∂loss/∂x when `dx` is given.
    func backward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, saved: Saved, rows: Int,
                  dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool, context: StepContext) {
        if let dw = weight.gradient {
            Linear.backwardWeight(dy, input: x, dw, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        if let dx {
            Linear.backwardInput(dy, weight: product, dx, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                                 accumulate: accumulateInput)
        }
        guard let lora, let hidden = saved.loraHidden else { return }
        let r = lora.rank
        // dB += scale · dyᵀ·hidden ; dHidden = scale · dy·B
        if let db = lora.b.gradient {
            GEMM.matmul(dy, hidden, db, m: outFeatures, k: rows, n: r, transposeA: true, alpha: lora.scale, beta: 1)
        }
        let dHidden = context.scratch.floats(rows * r)
        GEMM.matmul(dy, lora.b.value, dHidden, m: rows, k: outFeatures, n: r, alpha: lora.scale)
        let mask = context.loraDropout(lora.dropout, site: site)
        if let mask {
            let dropped = context.scratch.floats(rows * inFeatures)
            mask.apply(x, into: dropped, count: rows * inFeatures)
            if let da = lora.a.gradient {
                GEMM.matmul(dHidden, dropped, da, m: r, k: rows, n: inFeatures, transposeA: true, beta: 1)
            }
            if let dx {
                // dx += mask ⊙ (dHidden·A), reusing `dropped` for the product
                GEMM.matmul(dHidden, lora.a.value, dropped, m: rows, k: r, n: inFeatures)
                mask.apply(dropped, count: rows * inFeatures)
                Elementwise.add(dropped, into: dx, count: rows * inFeatures)
            }
        } else {
            if let da = lora.a.gradient {
                GEMM.matmul(dHidden, x, da, m: r, k: rows, n: inFeatures, transposeA: true, beta: 1)
            }
            if let dx {
                GEMM.matmul(dHidden, lora.a.value, dx, m: rows, k: r, n: inFeatures, beta: 1)
            }
        }
    }
}
