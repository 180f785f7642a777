// Inverted dropout (PyTorch train mode: keep with probability 1−p, scale kept values by 1/(1−p)) whose masks
// come from a counter-based hash of (seed, step, site, element), eight elements at a time. Backward
// regenerates the same mask instead of storing it, and disjoint regions can be filled in parallel in any
// order with identical results.
import Kernels

public struct DropoutMask: Sendable {
    public let probability: Float
    /// Keep when a 32-bit uniform draw is ≥ this (p quantised to 2⁻³²).
    let threshold: UInt32
    let keepScale: Float
    /// Two 32-bit halves of the (seed, step, site) key, mixed into each element's hash.
    let keyLow, keyHigh: UInt32

    /// `site` names one dropout application within a step (layer and place); `step` makes masks differ per step.
    public init(probability: Float, seed: UInt64, step: UInt64, site: UInt64) {
        self.probability = probability
        threshold = UInt32(min((Double(probability) * 4_294_967_296).rounded(), 4_294_967_295))
        keepScale = probability >= 1 ? 0 : 1 / (1 - probability)
        let key = DropoutMask.mix(DropoutMask.mix(DropoutMask.mix(seed) ^ step) ^ (site &* 0xD6E8_FEB8_6659_FD93))
        keyLow = UInt32(truncatingIfNeeded: key)
        keyHigh = UInt32(truncatingIfNeeded: key >> 32)
    }

    public var isActive: Bool { threshold > 0 }

    /// SplitMix64's finaliser: a bijective 64-bit mixer (for the key).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The element hash: two rounds of a 32-bit avalanche mixer (Wellons' "lowbias32"), keyed by both
    /// halves of the key. Written once for any SIMD width, so the 8-lane loop and `factor(at:)` agree.
    @inline(__always)
    static func hash<V: SIMD>(_ index: V, keyLow: UInt32, keyHigh: UInt32) -> V
    where V.Scalar == UInt32 {
        var x = (index &* 0x9E37_79B9) ^ V(repeating: keyLow)
        x ^= x &>> 16; x &*= 0x7FEB_352D; x ^= x &>> 15; x &*= 0x846C_A68B; x ^= x &>> 16
        x ^= V(repeating: keyHigh)
        x ^= x &>> 16; x &*= 0x7FEB_352D; x ^= x &>> 15; x &*= 0x846C_A68B; x ^= x &>> 16
        return x
    }

    /// Multiplier (0 or 1/(1−p)) for element `index` of this site (indices are taken mod 2³²).
    @inline(__always)
    public func factor(at index: Int) -> Float {
        let draw = DropoutMask.hash(SIMD2<UInt32>(repeating: UInt32(truncatingIfNeeded: index)), keyLow: keyLow, keyHigh: keyHigh)[0]
        return draw >= threshold ? keepScale : 0
    }

    /// x[i] *= factor(offset + i) for i in 0..<count (forward and backward are the same operation).
    /// Large tensors are split over Kernels' worker threads unless `parallel` is false (callers already in parallel).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int, offset: Int = 0, parallel: Bool = true) {
        apply(UnsafePointer(x), into: x, count: count, offset: offset, parallel: parallel)
    }

    /// y[i] = x[i] · factor(offset + i), in one pass (y may be x).
    public func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, offset: Int = 0,
                      parallel: Bool = true) {
        guard isActive else {
            if UnsafePointer(y) != x { y.update(from: x, count: count) }
            return
        }
        if parallel && count >= 1 << 16 {
            Parallel.forRanges((count + 7) / 8, costPerItem: 32) { blocks in
                let start = blocks.lowerBound * 8, end = min(count, blocks.upperBound * 8)
                applySerial(x + start, into: y + start, count: end - start, offset: offset + start)
            }
        } else {
            applySerial(x, into: y, count: count, offset: offset)
        }
    }

    @inline(__always)
    private func applySerial(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, offset: Int) {
        typealias U = SIMD8<UInt32>
        let lanes = U(0, 1, 2, 3, 4, 5, 6, 7), threshold = U(repeating: threshold)
        let keep = SIMD8<Float>(repeating: keepScale), zero = SIMD8<Float>.zero
        var i = 0
        while i < count {
            let index = U(repeating: UInt32(truncatingIfNeeded: offset + i)) &+ lanes
            let draw = DropoutMask.hash(index, keyLow: keyLow, keyHigh: keyHigh)
            let factor = zero.replacing(with: keep, where: draw .>= threshold)
            VectorMath.store(VectorMath.load(x, i, count) * factor, y, i, count)
            i += 8
        }
    }
}
