import Failures
import Foundation

/// AdamW's hyperparameters (PyTorch names and defaults, weight decay as HF Trainer's 0.01 in the reference).
public struct AdamWHyperparameters: Equatable, Sendable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// The per-step scalars of one AdamW update, computed in Double as torch's fused CPU
/// kernel does (aten/src/ATen/native/cpu/FusedAdamKernel.cpp) and rounded to Float where it rounds.
public struct AdamWStepCoefficients: Sendable, Equatable {
    /// 1 - lr·wd: decoupled weight decay, applied to the parameter before the Adam update.
    public var decay: Float
    /// 1 - beta1, the weight of `exp_avg.lerp_(grad, 1 - beta1)`.
    public var firstMomentWeight: Float
    public var beta2: Float
    /// 1 - beta2.
    public var secondMomentWeight: Float
    /// sqrt(1 - beta2^step).
    public var biasCorrection2Sqrt: Float
    /// -lr / (1 - beta1^step).
    public var negativeStepSize: Float
    public var epsilon: Float

    /// `step` counts from 1 (the value of torch's `state["step"]` during the update).
    public init(step: Int, learningRate lr: Double, hyper h: AdamWHyperparameters) {
        let s = Double(Float(step))
        let biasCorrection1 = 1 - pow(h.beta1, s)
        let biasCorrection2 = 1 - pow(h.beta2, s)
        decay = Float(1 - lr * h.weightDecay)
        firstMomentWeight = Float(1 - h.beta1)
        beta2 = Float(h.beta2)
        secondMomentWeight = Float(1 - h.beta2)
        biasCorrection2Sqrt = Float(biasCorrection2.squareRoot())
        negativeStepSize = Float(-(lr / biasCorrection1))
        epsilon = Float(h.epsilon)
    }

    /// One element-wise AdamW update of a tensor, with torch's operation order and roundings:
    /// p ← p·(1 - lr·wd); m ← fma(1-β1, g - m, m); v ← fma((1-β2)·g, g, v·β2);
    /// p ← p + (-lr/bc1)·m / (sqrt(v)/sqrt(bc2) + eps).
    /// The two fused multiply-adds are where torch's kernel, compiled by GCC with FMA
    /// contraction, fuses them; with them the results are bit-identical to torch's (fixture test).
    @inline(__always)
    public func apply(parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                      firstMoment m: UnsafeMutableBufferPointer<Float>, secondMoment v: UnsafeMutableBufferPointer<Float>) {
        precondition(p.count == g.count && p.count == m.count && p.count == v.count, "AdamW tensor sizes differ")
        let n = p.count
        guard n > 0, let pp = p.baseAddress, let gp = g.baseAddress, let mp = m.baseAddress, let vp = v.baseAddress else { return }
        // Eight lanes at a time, written out so it vectorises whatever the pointers' aliasing.
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            let grad = UnsafeRawPointer(gp + i).loadUnaligned(as: V.self)
            let param = UnsafeRawPointer(pp + i).loadUnaligned(as: V.self) * V(repeating: decay)
            let oldM = UnsafeRawPointer(mp + i).loadUnaligned(as: V.self)
            let newM = oldM.addingProduct(V(repeating: firstMomentWeight), grad - oldM)
            let newV = (UnsafeRawPointer(vp + i).loadUnaligned(as: V.self) * V(repeating: beta2))
                .addingProduct(V(repeating: secondMomentWeight) * grad, grad)
            let denom = newV.squareRoot() / V(repeating: biasCorrection2Sqrt) + V(repeating: epsilon)
            UnsafeMutableRawPointer(mp + i).storeBytes(of: newM, as: V.self)
            UnsafeMutableRawPointer(vp + i).storeBytes(of: newV, as: V.self)
            UnsafeMutableRawPointer(pp + i).storeBytes(of: param + V(repeating: negativeStepSize) * newM / denom, as: V.self)
            i += 8
        }
        while i < n {
            let grad = gp[i]
            let param = pp[i] * decay
            let newM = mp[i].addingProduct(firstMomentWeight, grad - mp[i])
            let newV = (vp[i] * beta2).addingProduct(secondMomentWeight * grad, grad)
            mp[i] = newM
            vp[i] = newV
            let denom = newV.squareRoot() / biasCorrection2Sqrt + epsilon
            pp[i] = param + negativeStepSize * newM / denom
            i += 1
        }
    }
}

/// AdamW with PyTorch semantics (torch.optim.AdamW, fused=True, amsgrad off): decoupled
/// weight decay, bias-corrected moments, eps added after sqrt(v̂). The optimiser owns the
/// moments; the parameters and gradients stay wherever the model keeps them.
public struct AdamW: Sendable {
    public var hyper: AdamWHyperparameters
    /// Updates done so far (torch's `state["step"]` after the last update).
    public private(set) var step: Int
    /// exp_avg per tensor, in registration order.
    public private(set) var firstMoments: [[Float]]
    /// exp_avg_sq per tensor.
    public private(set) var secondMoments: [[Float]]

    public init(hyper: AdamWHyperparameters = .init(), tensorSizes: [Int]) {
        self.hyper = hyper
        step = 0
        firstMoments = tensorSizes.map { [Float](repeating: 0, count: $0) }
        secondMoments = tensorSizes.map { [Float](repeating: 0, count: $0) }
    }

    /// Restores an optimiser from a checkpoint's state.
    public init(hyper: AdamWHyperparameters, step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) throws {
        guard step >= 0, firstMoments.count == secondMoments.count,
              zip(firstMoments, secondMoments).allSatisfy({ $0.count == $1.count }) else {
            throw PipelineError.badInput("AdamW state has mismatched moment tensors or a negative step")
        }
        self.hyper = hyper
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    public var tensorCount: Int { firstMoments.count }

    /// Starts update number `step + 1` at learning rate `lr` and returns its coefficients;
    /// then call `update(tensor:parameter:gradient:coefficients:)` once per tensor.
    public mutating func beginStep(learningRate lr: Double) -> AdamWStepCoefficients {
        step += 1
        return AdamWStepCoefficients(step: step, learningRate: lr, hyper: hyper)
    }

    /// Updates tensor number `index` in place.
    public mutating func update(tensor index: Int, parameter: UnsafeMutableBufferPointer<Float>,
                                gradient: UnsafeBufferPointer<Float>, coefficients: AdamWStepCoefficients) {
        precondition(firstMoments[index].count == parameter.count, "AdamW tensor \(index) has a different size")
        firstMoments[index].withUnsafeMutableBufferPointer { m in
            secondMoments[index].withUnsafeMutableBufferPointer { v in
                coefficients.apply(parameter: parameter, gradient: gradient, firstMoment: m, secondMoment: v)
            }
        }
    }
}
