// bf16, the top half of an fp32: rounding to it (nearest even, as torch's `.to(torch.bfloat16)`) and
// widening from it (exact: a shift). The bf16 mode rounds frozen weights once and each frozen product's
// input on the way in.

public enum BFloat16 {
    /// The bf16 bits nearest to `value` (ties to even); NaN stays a quiet NaN.
    @inline(__always)
    public static func bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The fp32 value of bf16 `bits`.
    @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `value` rounded to the nearest bf16, as fp32.
    @inline(__always)
    public static func rounded(_ value: Float) -> Float { float(bits(value)) }

    /// bits[i] = bits(values[i]) for `count` values.
    public static func round(_ values: UnsafePointer<Float>, into bits: UnsafeMutablePointer<UInt16>, count: Int) {
        Parallel.forRanges(count, costPerItem: 4) { range in
            for i in range { bits[i] = Self.bits(values[i]) }
        }
    }

    /// out[i] = rounded(values[i]) (in place when `out` is `values`).
    public static func round(_ values: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, costPerItem: 4) { range in
            for i in range { out[i] = rounded(values[i]) }
        }
    }

    /// out[i] = float(bits[i]) for `count` values.
    public static func widen(_ bits: UnsafePointer<UInt16>, into out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, costPerItem: 2) { range in
            for i in range { out[i] = float(bits[i]) }
        }
    }
}

/// Owned bf16 storage (a frozen weight rounded once).
public final class BF16Buffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<UInt16>
    public let count: Int

    /// The bf16 rounding of `count` fp32 values.
    public init(rounding values: UnsafePointer<Float>, count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        BFloat16.round(values, into: pointer, count: count)
    }

    /// A copy of `count` bf16 values.
    public init(copying bits: UnsafePointer<UInt16>, count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.update(from: bits, count: count)
    }

    deinit { pointer.deallocate() }
}
