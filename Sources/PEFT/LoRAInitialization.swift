import Foundation
import Kernels

/// The bound of `torch.nn.init.kaiming_uniform_(w, a: sqrt(5))` for a weight with `fanIn`
/// inputs, computed in the same order as torch so that it is the same Double:
/// gain = sqrt(2 / (1 + a²)), std = gain / sqrt(fan_in), bound = sqrt(3) · std.
/// It is 1/sqrt(fan_in) up to rounding (a² is 5.000000000000001 in Double).
public func kaimingUniformBound(fanIn: Int, negativeSlope a: Double = 5.0.squareRoot()) -> Double {
    let gain = (2.0 / (1 + a * a)).squareRoot()
    let std = gain / Double(fanIn).squareRoot()
    return 3.0.squareRoot() * std
}

/// torch's `kaiming_uniform_(w, a=sqrt(5))` for `count` values with `fanIn` inputs: U(-b, b) with the bound above,
/// drawn from `generator` (torch's uniform_(from, to) maps u in [0, 1) to from + (to - from) · u). The one
/// Kaiming draw of every method's initialisation.
public func kaimingUniform(count: Int, fanIn: Int, generator: inout PhiloxGenerator) -> [Float] {
    let bound = kaimingUniformBound(fanIn: fanIn)
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { generator.fillUniform($0) }
    let low = Float(-bound)
    let width = Float(2 * bound)
    for i in values.indices { values[i] = low + width * values[i] }
    return values
}

/// torch's N(0, 1) (`nn.Embedding`'s initialisation, as PEFT's prompt tables start): Box-Muller on pairs of
/// uniforms from `generator` (not torch's bits: the distribution, not the draw, is PEFT's).
public func standardNormal(count: Int, generator: inout PhiloxGenerator) -> [Float] {
    var u = [Float](repeating: 0, count: 2 * ((count + 1) / 2))
    u.withUnsafeMutableBufferPointer { generator.fillUniform($0) }
    var values = [Float](repeating: 0, count: count)
    for i in stride(from: 0, to: count, by: 2) {
        let radius = (-2 * Foundation.log(Double(1 - u[i]))).squareRoot(), angle = 2 * Double.pi * Double(u[i + 1])
        values[i] = Float(radius * cos(angle))
        if i + 1 < count { values[i + 1] = Float(radius * sin(angle)) }
    }
    return values
}

/// torch's `nn.Linear` bias initialisation: U(-1/√fan_in, 1/√fan_in).
public func linearBiasUniform(count: Int, fanIn: Int, generator: inout PhiloxGenerator) -> [Float] {
    let bound = 1 / Double(fanIn).squareRoot()
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { generator.fillUniform($0) }
    return values.map { Float(-bound) + Float(2 * bound) * $0 }
}

/// PEFT's default LoRA initialisation (`init_lora_weights=True`) of one module whose
/// base weight is `outFeatures × inFeatures`: lora_A (`r × in`) Kaiming-uniform, drawn
/// row-major from `generator`; lora_B (`out × r`) = 0.
public func initializeLoRAWeights(rank r: Int, inFeatures: Int, outFeatures: Int,
                                  generator: inout PhiloxGenerator) -> (a: [Float], b: [Float]) {
    precondition(r > 0 && inFeatures > 0 && outFeatures > 0, "LoRA shapes must be positive")
    return (kaimingUniform(count: r * inFeatures, fanIn: inFeatures, generator: &generator),
            [Float](repeating: 0, count: outFeatures * r))
}
