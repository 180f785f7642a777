import Foundation

/// `torch.nn.utils.clip_grad_norm_(params, maxNorm)` (norm type 2): the total norm is the
/// 2-norm of the per-tensor 2-norms; every gradient is multiplied by
/// min(1, maxNorm / (total + 1e-6)), computed in Float as torch does on float32 tensors.
/// Returns the total norm before clipping (what HF Trainer logs as `grad_norm`); a NaN or
/// infinite result means a non-finite gradient, which the caller must treat as fatal.
@discardableResult
public func clipGradientNorm(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
    let total = totalGradientNorm(gradients.map { UnsafeBufferPointer($0) })
    let coefficient = min(maxNorm / (total + 1e-6), 1)
    for g in gradients {
        for i in 0..<g.count { g[i] *= coefficient }
    }
    return total
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

/// One tensor's 2-norm, rounded to Float like torch's per-tensor norm. Squares are summed
/// in 16 Float lanes over runs of 256 elements and the runs in Double, so it vectorises and
/// stays accurate to about 1e-7 relative on any length.
private func tensorNorm(_ g: UnsafeBufferPointer<Float>) -> Double {
    guard let base = g.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var total = 0.0
    var i = 0
    let n = g.count
    while i < n {
        let end = min(n, i + 256)
        var lanes = SIMD16<Float>.zero
        while i + 16 <= end {
            let x = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            lanes += x * x
            i += 16
        }
        var run = Double(lanes.sum())
        while i < end {
            run += Double(g[i]) * Double(g[i])
            i += 1
        }
        total += run
    }
    return Double(Float(total.squareRoot()))
}
