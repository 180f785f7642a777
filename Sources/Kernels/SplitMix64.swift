/// A tiny seeded generator (the demo corpus and model, the tests). SplitMix64 is enough there: the demo only
/// needs to be varied and byte-reproducible from its seed on every platform, which the
/// standard library's generators do not promise.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index in 0..<n (n > 0), by rejection so every platform draws the same.
    public mutating func index(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return Int(x % bound) }
        }
    }

    public mutating func pick<T>(_ items: [T]) -> T { items[index(items.count)] }

    /// True with probability `p` (in 1/1000 steps, exact on every platform).
    public mutating func chance(_ p: Double) -> Bool { index(1000) < Int(p * 1000) }
}
