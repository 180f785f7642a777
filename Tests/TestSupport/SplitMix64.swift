import Foundation

/// Deterministic test randomness: SplitMix64 (Steele, Lea and Flood), with uniform and normal floats on top.
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

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
