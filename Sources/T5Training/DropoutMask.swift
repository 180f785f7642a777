// Inverted dropout (PyTorch train mode: keep with probability 1−p, scale kept values by 1/(1−p)) whose masks
// come from a counter-based hash of (seed, step, site, element). Backward regenerates the same mask instead of
// storing it, and disjoint regions can be filled in parallel in any order with identical results.
import Kernels

public struct DropoutMask: Sendable {
    public let probability: Float
    /// Keep when a 16-bit uniform draw is ≥ this (p quantised to 1/65536).
    let threshold: UInt32
    let keepScale: Float
    let key: UInt64

    /// `site` names one dropout application within a step (layer and place); `step` makes masks differ per step.
    public init(probability: Float, seed: UInt64, step: UInt64, site: UInt64) {
        self.probability = probability
        threshold = UInt32((Double(probability) * 65536).rounded())
        keepScale = probability >= 1 ? 0 : 1 / (1 - probability)
        key = DropoutMask.mix(DropoutMask.mix(DropoutMask.mix(seed) ^ step) ^ (site &* 0xD6E8_FEB8_6659_FD93))
    }

    public var isActive: Bool { threshold > 0 }

    /// SplitMix64's finaliser: a bijective 64-bit mixer.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Multiplier (0 or 1/(1−p)) for element `index` of this site.
    @inline(__always)
    public func factor(at index: Int) -> Float {
        let bits = DropoutMask.mix(key ^ UInt64(index >> 2))
        let draw = UInt32(truncatingIfNeeded: bits >> (UInt64(index & 3) * 16)) & 0xFFFF
        return draw >= threshold ? keepScale : 0
    }

    /// x[i] *= factor(offset + i) for i in 0..<count (forward and backward are the same operation).
    /// Large tensors are split over Kernels' worker threads unless `parallel` is false (callers already in parallel).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int, offset: Int = 0, parallel: Bool = true) {
        guard isActive else { return }
        if parallel && count >= 1 << 16 {
            Parallel.forRanges(count, costPerItem: 4) { range in
                applySerial(x + range.lowerBound, count: range.count, offset: offset + range.lowerBound)
            }
        } else {
            applySerial(x, count: count, offset: offset)
        }
    }

    @inline(__always)
    private func applySerial(_ x: UnsafeMutablePointer<Float>, count: Int, offset: Int) {
        var i = 0
        while i < count {
            let index = offset + i
            let bits = DropoutMask.mix(key ^ UInt64(index >> 2))
            var lane = index & 3
            while lane < 4 && i < count {
                let draw = UInt32(truncatingIfNeeded: bits >> (UInt64(lane) * 16)) & 0xFFFF
                x[i] *= draw >= threshold ? keepScale : 0
                lane += 1
                i += 1
            }
        }
    }

    /// y[i] = x[i] · factor(offset + i).
    public func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, offset: Int = 0,
                      parallel: Bool = true) {
        y.update(from: x, count: count)
        apply(y, count: count, offset: offset, parallel: parallel)
    }
}
