import Foundation

/// `torch.nn.utils.clip_grad_norm_(params, maxNorm)` (norm type 2): the total norm is the
/// 2-norm of the per-tensor 2-norms; every gradient is multiplied by
/// min(1, maxNorm / (total + 1e-6)), computed in Float as torch does on float32 tensors.
/// Returns the total norm before clipping (what HF Trainer logs as `grad_norm`).
@discardableResult
public func clipGradientNorm(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
    let total = totalGradientNorm(gradients.map { UnsafeBufferPointer($0) })
    let coefficient = min(maxNorm / (total + 1e-6), 1)
    for g in gradients {
        for i in 0..<g.count { g[i] *= coefficient }
    }
    return total
}

/// `clipGradientNorm` on gradients held as arrays.
@discardableResult
public func clipGradientNorm(_ gradients: inout [[Float]], maxNorm: Float) -> Float {
    let total = totalGradientNorm(gradients)
    let coefficient = min(maxNorm / (total + 1e-6), 1)
    for t in gradients.indices {
        for i in gradients[t].indices { gradients[t][i] *= coefficient }
    }
    return total
}

/// `totalGradientNorm` on arrays.
public func totalGradientNorm(_ gradients: [[Float]]) -> Float {
    var sumOfNormSquares = 0.0
    for g in gradients {
        let norm = g.withUnsafeBufferPointer { tensorNorm($0) }
        sumOfNormSquares += norm * norm
    }
    return Float(sumOfNormSquares.squareRoot())
}

/// The global 2-norm over all tensors: each tensor's norm is accumulated in Double and
/// rounded to Float (torch keeps per-tensor norms as float32), then the norm of those norms.
public func totalGradientNorm(_ gradients: [UnsafeBufferPointer<Float>]) -> Float {
    var sumOfNormSquares = 0.0
    for g in gradients {
        let norm = tensorNorm(g)
        sumOfNormSquares += norm * norm
    }
    return Float(sumOfNormSquares.squareRoot())
}

/// One tensor's 2-norm, accumulated in Double, rounded to Float like torch's per-tensor norm.
private func tensorNorm(_ g: UnsafeBufferPointer<Float>) -> Double {
    var s = 0.0
    for x in g { s += Double(x) * Double(x) }
    return Double(Float(s.squareRoot()))
}
