// The methods whose update is a full-size ΔW built from small factors (LoHa; LoKr's merge, its training multiplies by the
// factors instead: TrainableLoKr): y = x·Wᵀ + x·ΔWᵀ, as PEFT's `F.linear(x, delta_weight)`. The forward builds ΔW [out, in] in scratch; the backward forms ∂loss/∂ΔW = dyᵀ·x,
// hands it to the method's factor gradients, which rebuild ΔW from the products they compute anyway (cheaper than
// keeping one per layer), and adds dy·ΔW to dx.
// ΔW and its products stay fp32 in the bf16 mode, as PEFT's fp32 adapters compute theirs.
import Kernels

public class WeightDeltaAdapter: LinearAdapter, @unchecked Sendable {
    /// ΔW [out, in] (scale included) from the current factors.
    func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        fatalError("\(Self.self) must override buildDelta")
    }

    /// Accumulates the factors' gradients from g = ∂loss/∂ΔW [out, in], and writes ΔW into `delta` when given (from the
    /// same factor products, as `buildDelta` computes it).
    func accumulateGradients(_ layer: LinearLayer, dDelta g: UnsafePointer<Float>, scratch: Arena,
                             delta: UnsafeMutablePointer<Float>?) {
        fatalError("\(Self.self) must override accumulateGradients")
    }

    override func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                          arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        layer.baseForward(x, rows: rows, into: y)
        let delta = context.scratch.floats(layer.outFeatures * layer.inFeatures)
        buildDelta(layer, into: delta, scratch: context.scratch)
        Linear.forward(x, weight: delta, y, rows: rows, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                       accumulate: true)
        return nil
    }

    override func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                           saved: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?,
                           accumulateInput: Bool, context: StepContext) {
        layer.baseBackward(dy, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
        let (inF, outF) = (layer.inFeatures, layer.outFeatures)
        let dDelta = context.scratch.floats(outF * inF)
        GEMM.matmul(dy, x, dDelta, m: outF, k: rows, n: inF, transposeA: true)
        let delta = dx.map { _ in context.scratch.floats(outF * inF) }
        accumulateGradients(layer, dDelta: dDelta, scratch: context.scratch, delta: delta)
        if let dx, let delta { GEMM.matmul(dy, delta, dx, m: rows, k: outF, n: inF, beta: 1) }
    }

    override public func merge(into weight: UnsafeMutablePointer<Float>, layer: LinearLayer) {
        let scratch = Arena(minimumChunk: 1 << 16)
        let delta = scratch.floats(layer.outFeatures * layer.inFeatures)
        buildDelta(layer, into: delta, scratch: scratch)
        Elementwise.add(delta, into: weight, count: layer.outFeatures * layer.inFeatures)
    }
}
