import Foundation
import Kernels

// The tests draw from the project's own SplitMix64 (Kernels); these add the floats they need.
extension SplitMix64 {
    /// Uniform in [0, 1), 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in [-1, 1).
    public mutating func symmetric() -> Float { uniform() * 2 - 1 }

    /// `count` values uniform in [-scale, scale).
    public mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in symmetric() * scale } }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
