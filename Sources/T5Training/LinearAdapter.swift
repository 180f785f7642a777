// A trainable PEFT adapter on one linear layer: how it changes the layer's y = x·Wᵀ, that change's backward,
// and its merge into W. One subclass per method, one file each (TrainableLoRA, TrainableIA3); LinearLayer runs
// whichever it holds, so a method touches no block or model code.
import Kernels

public class LinearAdapter: @unchecked Sendable {
    /// The adapter's tensors in PEFT's state-dict order (the optimiser's and the file's order).
    public let parameters: [Parameter]

    init(parameters: [Parameter]) { self.parameters = parameters }

    /// y[rows, out] = the adapted layer applied to x. Returns what `backward` needs besides x (in `arena`), or nil.
    func forward(_ layer: LinearLayer, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                 arena: Arena, context: StepContext) -> UnsafeMutablePointer<Float>? {
        fatalError("\(Self.self) must override forward")
    }

    /// Accumulates the adapter's gradients (and W's, when trainable) and dx (+)= ∂loss/∂x when `dx` is given.
    func backward(_ layer: LinearLayer, _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                  saved: UnsafeMutablePointer<Float>?, rows: Int, dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool,
                  context: StepContext) {
        fatalError("\(Self.self) must override backward")
    }

    /// Folds the adapter into `weight` (the layer's fp32 [out, in] values), as PEFT's `merge_and_unload`.
    public func merge(into weight: UnsafeMutablePointer<Float>, layer: LinearLayer) {
        fatalError("\(Self.self) must override merge")
    }
}
