/// MT19937 seeded and drawn exactly as NumPy's legacy `np.random.seed(s)` /
/// `np.random.choice(np.arange(n), size=n)`, the generator rouge_score's
/// `BootstrapAggregator` uses. With the same seed, the same resamples: a seeded run here
/// reproduces what Python gives after `np.random.seed(seed)`.
public struct MersenneTwister: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `init_genrand`, as NumPy's legacy seeding does for an integer seed.
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func next() -> UInt32 {
        if index >= 624 { regenerate() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func regenerate() {
        state.withUnsafeMutableBufferPointer { mt in
            @inline(__always) func twist(_ k: Int, _ next: Int, _ far: Int) {
                let y = (mt[k] & 0x8000_0000) | (mt[next] & 0x7FFF_FFFF)
                mt[k] = mt[far] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            // The standard three ranges of (k + 1) % 624 and (k + 397) % 624, without modulo.
            for k in 0..<227 { twist(k, k + 1, k + 397) }
            for k in 227..<623 { twist(k, k + 1, k - 227) }
            twist(623, 0, 396)
        }
        index = 0
    }

    /// A uniform integer in `0..<count` by NumPy's legacy masked rejection sampling
    /// (`randint` with `use_masked=True`); draws nothing when `count` is 1, as NumPy does.
    /// `count` must be in 1...2^32.
    public mutating func nextIndex(below count: Int) -> Int {
        precondition(count >= 1 && count <= 1 << 32, "nextIndex(below:) needs 1...2^32")
        let range = UInt32(truncatingIfNeeded: count - 1)
        return nextIndex(range: range, mask: Self.mask(covering: range))
    }

    /// The smallest all-ones mask that covers `range`.
    static func mask(covering range: UInt32) -> UInt32 {
        var mask = range
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        return mask
    }

    /// `nextIndex(below: range + 1)` with the mask computed once by the caller.
    @inline(__always)
    mutating func nextIndex(range: UInt32, mask: UInt32) -> Int {
        if range == 0 { return 0 }
        while true {
            let v = next() & mask
            if v <= range { return Int(v) }
        }
    }
}
