// T5's feed-forward sublayer for training: gated-GELU wo(dropout(gelu_new(wi_0 x) · wi_1 x)) or
// ReLU wo(dropout(relu(wi x))). Forward saves the pre-activations; backward recomputes the wo input.
import Kernels

struct FeedForwardActivations {
    let input: UnsafePointer<Float>
    /// wi_0 x (gated) or relu(wi x) (ReLU) [rows, d_ff].
    let hidden: UnsafeMutablePointer<Float>
    /// wi_1 x (gated only).
    let gate: UnsafeMutablePointer<Float>?
    let savedWi, savedGate, savedWo: LinearLayer.Saved
}

enum FeedForwardBlock {
    /// The wo input: dropout(gelu(hidden) · gate) or dropout(hidden), written to `out`.
    static func activation(_ acts: FeedForwardActivations, count: Int, dropout: DropoutMask?, into out: UnsafeMutablePointer<Float>) {
        if let gate = acts.gate {
            GeluNew.gatedForward(acts.hidden, gate, out, count: count)
        } else {
            out.update(from: acts.hidden, count: count)
        }
        dropout?.apply(out, count: count)
    }

    static func forward(_ p: TrainingWeights.FeedForward, input: UnsafePointer<Float>, rows: Int, hiddenSite: UInt64,
                        output: UnsafeMutablePointer<Float>, arena: Arena, context: StepContext) -> FeedForwardActivations {
        context.scratch.reset()
        let ff = p.wi.outFeatures, count = rows * ff
        let hidden = arena.floats(count)
        let savedWi = p.wi.forward(input, rows: rows, into: hidden, arena: arena, context: context)
        var gate: UnsafeMutablePointer<Float>? = nil
        var savedGate = LinearLayer.Saved.none
        if let wiGate = p.wiGate {
            let g = arena.floats(count)
            savedGate = wiGate.forward(input, rows: rows, into: g, arena: arena, context: context)
            gate = g
        } else {
            ReLU.forward(hidden, count: count)
        }
        var acts = FeedForwardActivations(input: input, hidden: hidden, gate: gate, savedWi: savedWi, savedGate: savedGate,
                                          savedWo: LinearLayer.Saved.none)
        let woInput = context.scratch.floats(count)
        activation(acts, count: count, dropout: context.dropout(site: hiddenSite), into: woInput)
        acts = FeedForwardActivations(input: input, hidden: hidden, gate: gate, savedWi: savedWi, savedGate: savedGate,
                                      savedWo: p.wo.forward(woInput, rows: rows, into: output, arena: arena, context: context))
        return acts
    }

    /// Accumulates parameter gradients and dInput += ∂loss/∂input.
    static func backward(_ p: TrainingWeights.FeedForward, _ acts: FeedForwardActivations, rows: Int, dOutput: UnsafePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>, hiddenSite: UInt64, context: StepContext) {
        context.scratch.reset()
        let ff = p.wi.outFeatures, count = rows * ff
        let dropout = context.dropout(site: hiddenSite)
        // wo needs its input only for its own weight or LoRA gradient
        let woInput = context.scratch.floats(count)
        if p.wo.weight.isTrainable || p.wo.adapter != nil {
            activation(acts, count: count, dropout: dropout, into: woInput)
        }
        let dActivation = context.scratch.floats(count)
        p.wo.backward(dOutput, input: woInput, saved: acts.savedWo, rows: rows, dx: dActivation, accumulateInput: false,
                      context: context)
        dropout?.apply(dActivation, count: count)
        let dHidden = woInput  // free now
        if let gate = acts.gate, let wiGate = p.wiGate {
            let dGate = context.scratch.floats(count)
            GeluNew.gatedBackward(dActivation, a: acts.hidden, b: gate, da: dHidden, db: dGate, count: count)
            p.wi.backward(dHidden, input: acts.input, saved: acts.savedWi, rows: rows, dx: dInput, accumulateInput: true,
                          context: context)
            wiGate.backward(dGate, input: acts.input, saved: acts.savedGate, rows: rows, dx: dInput, accumulateInput: true,
                            context: context)
        } else {
            ReLU.backward(dActivation, output: acts.hidden, dx: dHidden, count: count)
            p.wi.backward(dHidden, input: acts.input, saved: acts.savedWi, rows: rows, dx: dInput, accumulateInput: true,
                          context: context)
        }
    }
}
