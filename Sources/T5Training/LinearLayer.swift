// A bias-free Linear (PyTorch layout W[out, in], y = x·Wᵀ) with an optional trainable PEFT adapter (LinearAdapter:
// LoRA, IA3), which runs the base product itself through `baseForward` / `baseBackward`.
// The same code serves frozen and trainable weights: the weight-gradient GEMM runs only when W has a gradient.
// A frozen W in the bf16 mode multiplies as bf16 (input and output gradient rounded on the way in, fp32 sums); in the
// nf4 mode the same, W dequantized from NF4 to bf16 a tile at a time.
import Kernels

public final class LinearLayer: @unchecked Sendable {
    /// HF module path, e.g. "decoder.block.3.layer.1.EncDecAttention.q".
    public let path: String
    public let weight: Parameter
    /// The frozen weight rounded to bf16 in the bf16 mode: then every product with W uses it (BF16GEMM).
    public let bf16: BF16Buffer?
    /// The frozen weight in NF4 in the nf4 mode (the linears bitsandbytes quantizes): its products use it.
    public let nf4: NF4Tensor?
    public let inFeatures: Int
    public let outFeatures: Int
    public internal(set) var adapter: LinearAdapter?
    /// Distinguishes this layer's adapter-dropout masks from every other dropout site.
    let site: UInt64

    /// The adapter, when it is LoRA.
    public var lora: TrainableLoRA? { adapter as? TrainableLoRA }

    /// W as its products read it: the bf16 copy in the bf16 mode, else the fp32 values.
    var product: Linear.Weight {
        if let nf4 { return .nf4(nf4) }
        return bf16.map { .bf16(UnsafePointer($0.pointer)) } ?? .f32(UnsafePointer(weight.value))
    }

    init(path: String, weight: Parameter, bf16: BF16Buffer? = nil, nf4: NF4Tensor? = nil, site: UInt64) {
        precondition(bf16 == nil && nf4 == nil || !weight.isTrainable, "a bf16 or nf4 weight is frozen")
        self.path = path
        self.weight = weight
        self.bf16 = bf16
        self.nf4 = nf4
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        self.site = site
    }

    /// What the forward keeps for backward besides the input itself: the adapter's own (nil without one).
    struct Saved {
        var adapter: UnsafeMutablePointer<Float>?
        static var none: Saved { Saved(adapter: nil) }
    }

    /// y[rows, out] = x·Wᵀ, through the adapter when there is one.
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, arena: Arena,
                 context: StepContext) -> Saved {
        guard let adapter else {
            baseForward(x, rows: rows, into: y)
            return .none
        }
        return Saved(adapter: adapter.forward(self, x, rows: rows, into: y, arena: arena, context: context))
    }

    /// Accumulates gradients of W (if trainable) and the adapter, and dx (+)= ∂loss/∂x when `dx` is given.
    func backward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, saved: Saved, rows: Int,
                  dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool, context: StepContext) {
        guard let adapter else {
            return baseBackward(dy, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
        }
        adapter.backward(self, dy, input: x, saved: saved.adapter, rows: rows, dx: dx, accumulateInput: accumulateInput,
                         context: context)
    }

    /// y = x·Wᵀ alone.
    func baseForward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        Linear.forward(x, weight: product, y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// dW += dyᵀ·x (if W is trainable) and dx (+)= dy·W (if `dx` is given), for y = x·Wᵀ alone.
    func baseBackward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>?,
                      accumulateInput: Bool) {
        if let dw = weight.gradient {
            Linear.backwardWeight(dy, input: x, dw, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        if let dx {
            Linear.backwardInput(dy, weight: product, dx, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                                 accumulate: accumulateInput)
        }
    }
}
