// PEFT's IA3 on one linear: y = (x·Wᵀ) ⊙ l with l = ia3_l [out, 1], or on a feed-forward module y = (x ⊙ l)·Wᵀ with
// l [1, in]. No dropout. In the bf16 mode the scaled input is what the bf16 product rounds, as PEFT casts x ⊙ l
// back to the model's dtype before the base layer.
import Kernels
import PEFT

public final class TrainableIA3: LinearAdapter, @unchecked Sendable {
    /// `ia3_l`: `out` values, or `in` on a feed-forward module.
    public let scaling: Parameter
    public let feedForward: Bool

    init(scaling: Parameter, feedForward: Bool) {
        self.scaling = scaling
        self.feedForward = feedForward
        super.init(parameters: [scaling])
    }

    /// Saves x·Wᵀ (output scaling) for l's gradient; input scaling needs only x.
    override func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                          arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        if feedForward {
            let scaled = context.scratch.floats(rows * layer.inFeatures)
            Elementwise.scaleColumns(x, by: scaling.value, into: scaled, rows: rows, cols: layer.inFeatures)
            layer.baseForward(scaled, rows: rows, into: y)
            return nil
        }
        let product = arena.floats(rows * layer.outFeatures)
        layer.baseForward(x, rows: rows, into: product)
        Elementwise.scaleColumns(product, by: scaling.value, into: y, rows: rows, cols: layer.outFeatures)
        return product
    }

    override func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                           saved: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?,
                           accumulateInput: Bool, context: StepContext) {
        precondition(!layer.weight.isTrainable, "IA3 freezes the base weight")
        let (inF, outF) = (layer.inFeatures, layer.outFeatures)
        if feedForward {
            // u = x ⊙ l: du = dy·W; dl += Σ_rows du ⊙ x; dx (+)= du ⊙ l
            let du = context.scratch.floats(rows * inF)
            layer.baseBackward(dy, input: x, rows: rows, dx: du, accumulateInput: false)
            if let dl = scaling.gradient { Elementwise.addColumnProductSums(du, x, into: dl, rows: rows, cols: inF) }
            guard let dx else { return }
            if accumulateInput {
                Elementwise.addScaledColumns(du, by: scaling.value, into: dx, rows: rows, cols: inF)
            } else {
                Elementwise.scaleColumns(du, by: scaling.value, into: dx, rows: rows, cols: inF)
            }
            return
        }
        // y = z ⊙ l: dl += Σ_rows dy ⊙ z; dz = dy ⊙ l; dx (+)= dz·W
        if let dl = scaling.gradient, let z = saved { Elementwise.addColumnProductSums(dy, z, into: dl, rows: rows, cols: outF) }
        guard let dx else { return }
        let dz = context.scratch.floats(rows * outF)
        Elementwise.scaleColumns(dy, by: scaling.value, into: dz, rows: rows, cols: outF)
        layer.baseBackward(dz, input: x, rows: rows, dx: dx, accumulateInput: accumulateInput)
    }

    override public func merge(into weight: UnsafeMutablePointer<Float>, layer: LinearLayer) {
        mergeIA3(into: weight, scaling: scaling.value, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                 feedForward: feedForward)
    }
}
