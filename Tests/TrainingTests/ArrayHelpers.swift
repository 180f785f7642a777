import Training

// The tests hold parameters and gradients as arrays; these run the product's pointer-based update and clipping on them.

extension AdamW {
    /// One update of every tensor (`beginStep`, then `update` per tensor, as Optimizer does).
    mutating func step(parameters: inout [[Float]], gradients: [[Float]], learningRate lr: Double) {
        precondition(parameters.count == tensorCount && gradients.count == tensorCount, "AdamW tensor count differs")
        let c = beginStep(learningRate: lr)
        for i in 0..<tensorCount {
            parameters[i].withUnsafeMutableBufferPointer { p in
                gradients[i].withUnsafeBufferPointer { g in update(tensor: i, parameter: p, gradient: g, coefficients: c) }
            }
        }
    }
}

/// `clipGradientNorm` on arrays, through the pointers the product passes.
@discardableResult
func clipGradientNorm(_ gradients: inout [[Float]], maxNorm: Float) -> Float {
    var buffers: [UnsafeMutableBufferPointer<Float>] = []
    for i in gradients.indices {
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: gradients[i].count)
        _ = b.initialize(from: gradients[i])
        buffers.append(b)
    }
    defer { buffers.forEach { $0.deallocate() } }
    let norm = clipGradientNorm(buffers, maxNorm: maxNorm)
    for i in gradients.indices { gradients[i] = Array(buffers[i]) }
    return norm
}
