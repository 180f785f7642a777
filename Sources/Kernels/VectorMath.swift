// Eight-lane helpers for the element-wise kernels: an exp that vectorises (libm's expf/tanhf are scalar
// calls, and were 15-20% of an encoder forward through gelu_new and softmax), and loads/stores that
// handle a ragged tail.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// e^x with relative error ~1e-7 (Cephes-style polynomial). Inputs are clamped to [-87, 88], so the
    /// result is always a normal float (e^-87 ≈ 1.6e-38 stands in for smaller values); NaN gives NaN.
    @inline(__always)
    public static func exp(_ x: V) -> V {
        // clamp by selects (SIMD's clamped(lowerBound:upperBound:) is a per-lane call here)
        var x = x.replacing(with: V(repeating: 88), where: x .> 88)
        x.replace(with: V(repeating: -87), where: x .< -87)   // NaN stays NaN
        let n = (x * 1.442_695_04 + 0.5).rounded(.down)
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        // 2^n: adding 1.5·2^23 puts the integer n (in -126...127 after the clamp) in the low mantissa
        // bits (vectorises; Int32(n) does not).
        let shifted = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return p * unsafeBitCast((shifted &+ 127) &<< 23, to: V.self)
    }

    /// Lanes 0..<8 of p, all in bounds (inlinable: the T5 decoding kernels load through it too).
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafeMutablePointer<Float>) -> V { load(UnsafePointer(p)) }

    /// Stores all eight lanes of v at p.
    @inlinable @inline(__always)
    public static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Lanes i..<i+8 of p, zero past `count`. Inlinable like the two above: the trainer's dropout loop (another module)
    /// calls it for every eight elements, and as a call each time it made that loop half as slow again.
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>, _ i: Int, _ count: Int) -> V {
        if i + 8 <= count { return UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
        var v = V(repeating: 0)
        for lane in 0..<(count - i) { v[lane] = p[i + lane] }
        return v
    }

    /// Stores the lanes of v that fall before `count` (inlinable, as `load(_:_:_:)`).
    @inlinable @inline(__always)
    public static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ count: Int) {
        if i + 8 <= count {
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
            return
        }
        for lane in 0..<(count - i) { p[i + lane] = v[lane] }
    }
}
