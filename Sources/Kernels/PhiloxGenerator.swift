import Foundation

/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random
/// numbers: as easy as 1, 2, 3" (SC 2011), as in Random123 and cuRAND.
///
/// Output block `n` is `philox(counter: [n.lo, n.hi, stream.lo, stream.hi], key: [seed.lo, seed.hi])`,
/// four 32-bit words. Because any block can be computed directly from its index,
/// bulk fills (LoRA initialisation) run in parallel and give the same values on any
/// thread count, and the whole state is three integers (seed, stream, words used).
/// (The trainer's dropout masks are not drawn here: T5Training.DropoutMask hashes
/// (seed, step, site, element) so that backward can regenerate a mask.)
///
/// Streams keep the uses apart: one seed, a different `stream` per purpose (see
/// `RandomStream`), so adding a draw in one place never shifts another's values.
///
/// Conversions (fixed, so results are reproducible across versions):
/// - `nextFloat()`: the top 24 bits of one word times 2⁻²⁴, in [0, 1).
/// - `next()` (UInt64): word 2k+1 in the high half, word 2k in the low half.
/// - `nextInt(below:)`: Lemire's multiply-and-reject on 64-bit draws (unbiased).
/// - `shuffle(_:)`: Fisher-Yates from the last index down, swapping i with `nextInt(below: i + 1)`.
/// - Bulk fills start at the next block boundary: element i uses word i % 4 of block start + i / 4.
public struct PhiloxGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    public let stream: UInt64
    /// 32-bit words consumed so far; block `wordOffset / 4`, lane `wordOffset % 4` is next.
    public private(set) var wordOffset: UInt64

    private var cachedBlockIndex: UInt64 = .max
    private var cachedBlock: SIMD4<UInt32> = .zero

    public init(seed: UInt64, stream: UInt64 = 0, wordOffset: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.wordOffset = wordOffset
    }

    // MARK: The block function

    /// The Philox4x32-10 bijection: 10 rounds on a 128-bit counter with a 64-bit key.
    @inline(__always)
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 { k &+= SIMD2(0x9E37_79B9, 0xBB67_AE85) }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c[0])
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c[2])
            c = SIMD4(UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k[0],
                      UInt32(truncatingIfNeeded: p1),
                      UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k[1],
                      UInt32(truncatingIfNeeded: p0))
        }
        return c
    }

    /// Block `index` of this generator's (seed, stream) sequence.
    @inline(__always)
    public func block(at index: UInt64) -> SIMD4<UInt32> {
        Self.block(counter: SIMD4(UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                                  UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
                   key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// Blocks `first ..< first + 8` at once, as four lanes-by-word vectors: `words[w][j]` is
    /// word w of block first + j. The same bijection as `block(at:)`, vectorised.
    @inline(__always)
    func blocks8(from first: UInt64) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        let index = SIMD8<UInt64>(repeating: first) &+ SIMD8(0, 1, 2, 3, 4, 5, 6, 7)
        var c0 = SIMD8<UInt32>(truncatingIfNeeded: index)
        var c1 = SIMD8<UInt32>(truncatingIfNeeded: index &>> 32)
        var c2 = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: stream))
        var c3 = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: stream >> 32))
        var k0 = UInt32(truncatingIfNeeded: seed)
        var k1 = UInt32(truncatingIfNeeded: seed >> 32)
        for round in 0..<10 {
            if round > 0 { k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85 }
            let p0 = SIMD8<UInt64>(truncatingIfNeeded: c0) &* SIMD8(repeating: 0xD251_1F53)
            let p1 = SIMD8<UInt64>(truncatingIfNeeded: c2) &* SIMD8(repeating: 0xCD9E_8D57)
            let n0 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32) ^ c1 ^ SIMD8(repeating: k0)
            let n2 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32) ^ c3 ^ SIMD8(repeating: k1)
            c1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
            c3 = SIMD8<UInt32>(truncatingIfNeeded: p0)
            c0 = n0
            c2 = n2
        }
        return (c0, c1, c2, c3)
    }

    // MARK: Sequential draws

    public mutating func nextUInt32() -> UInt32 {
        let index = wordOffset / 4
        if index != cachedBlockIndex {
            cachedBlock = block(at: index)
            cachedBlockIndex = index
        }
        let word = cachedBlock[Int(wordOffset % 4)]
        wordOffset &+= 1
        return word
    }

    public mutating func next() -> UInt64 {
        let low = UInt64(nextUInt32())
        return UInt64(nextUInt32()) << 32 | low
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float {
        Self.unitFloat(nextUInt32())
    }

    /// Uniform integer in 0..<bound (bound > 0), unbiased.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold {
                product = next().multipliedFullWidth(by: n)
            }
        }
        return Int(product.high)
    }

    /// Fisher-Yates shuffle in place (see the type's documentation for the exact order).
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ items: inout C) where C.Index == Int {
        guard items.count > 1 else { return }
        var i = items.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j { items.swapAt(items.startIndex + i, items.startIndex + j) }
            i -= 1
        }
    }

    /// A random permutation of 0..<count.
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order)
        return order
    }

    // MARK: Bulk fills (parallel, thread-count independent)

    /// Fills `out` with uniform [0, 1) floats.
    public mutating func fillUniform(_ out: UnsafeMutableBufferPointer<Float>) {
        fillWords(out.count, UniformSink(out: out))
    }

    /// Stores `sink.put(i, word)` for i in 0..<count with word i % 4 of block start + i / 4,
    /// where start is the next block boundary; chunks run on several threads when large.
    /// Then advances past those blocks. Generic so each sink's loop is specialised and inlined.
    private mutating func fillWords<Sink: WordSink>(_ count: Int, _ sink: Sink) {
        guard count > 0 else { return }
        let start = (wordOffset + 3) / 4
        let blocks = (count + 3) / 4
        let me = self
        let blocksPerChunk = 1 << 14 // a multiple of 8
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        let run: @Sendable (Int) -> Void = { chunk in
            var b = chunk * blocksPerChunk
            let end = min(blocks, b + blocksPerChunk)
            while b < end {
                let (w0, w1, w2, w3) = me.blocks8(from: start + UInt64(b))
                if 4 * (b + 8) <= count {
                    for j in 0..<8 {
                        let e = 4 * (b + j)
                        sink.put(e, w0[j]); sink.put(e + 1, w1[j]); sink.put(e + 2, w2[j]); sink.put(e + 3, w3[j])
                    }
                } else {
                    for j in 0..<min(8, end - b) {
                        let words = [w0[j], w1[j], w2[j], w3[j]]
                        let e = 4 * (b + j)
                        for lane in 0..<min(4, count - e) { sink.put(e + lane, words[lane]) }
                    }
                }
                b += 8
            }
        }
        if chunks > 1 {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
        } else {
            run(0)
        }
        wordOffset = (start + UInt64(blocks)) * 4
    }

    @inline(__always)
    static func unitFloat(_ word: UInt32) -> Float {
        Float(word >> 8) * 0x1p-24
    }
}

extension PhiloxGenerator: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.seed == b.seed && a.stream == b.stream && a.wordOffset == b.wordOffset
    }
}

/// Where a bulk fill puts word i (each fill writes disjoint elements, hence @unchecked Sendable).
private protocol WordSink: Sendable {
    func put(_ i: Int, _ word: UInt32)
}

private struct UniformSink: WordSink, @unchecked Sendable {
    let out: UnsafeMutableBufferPointer<Float>
    @inline(__always) func put(_ i: Int, _ word: UInt32) { out[i] = PhiloxGenerator.unitFloat(word) }
}

/// The stream numbers that keep the training run's random uses independent.
/// The high 32 bits name the purpose; the low 32 bits an index within it.
public enum RandomStream {
    /// LoRA parameter initialisation (lora_A), drawn in module order.
    public static let loraInitialization: UInt64 = 1 << 32
    /// The order of the training examples in epoch `epoch` (0-based).
    public static func epochShuffle(_ epoch: Int) -> UInt64 { 2 << 32 | UInt64(UInt32(truncatingIfNeeded: epoch)) }
}
