// The methods whose merge folds a full-size ΔW [out, in] built from small factors into W (LoHa, LoKr), as PEFT's
// merge does. PEFT also trains them through ΔW (`F.linear(x, delta_weight)`); here training never forms it: each
// multiplies by its factors (TrainableLoHa: two of rank r²; TrainableLoKr: the Kronecker factors), a fraction of
// x·ΔWᵀ's cost. ΔW and the factor products stay fp32 in the bf16 mode, as PEFT's fp32 adapters compute theirs.
import Kernels

public class WeightDeltaAdapter: LinearAdapter, @unchecked Sendable {
    /// ΔW [out, in] (scale included) from the current factors.
    func buildDelta(_ layer: LinearLayer, into delta: UnsafeMutablePointer<Float>, scratch: Arena) {
        fatalError("\(Self.self) must override buildDelta")
    }

    override public func merge(into weight: UnsafeMutablePointer<Float>, layer: LinearLayer) {
        let scratch = Arena(minimumChunk: 1 << 16)
        let delta = scratch.floats(layer.outFeatures * layer.inFeatures)
        buildDelta(layer, into: delta, scratch: scratch)
        Elementwise.add(delta, into: weight, count: layer.outFeatures * layer.inFeatures)
    }
}
