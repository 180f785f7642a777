/// A read-only darts-clone double array, the trie format of SentencePiece's
/// precompiled charsmap. Units are little-endian UInt32; every index is checked,
/// so a corrupt array ends a search instead of reading out of bounds.
struct DoubleArrayTrie: Sendable {
    private let units: [UInt32]

    init(units: [UInt32]) { self.units = units }

    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ unit: UInt32) -> Int { Int(unit & 0x7FFF_FFFF) }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & (0x8000_0000 | 0xFF) }
    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    var isEmpty: Bool { units.isEmpty }

    /// Whether any key starts with `byte` (lets callers skip a search for plain ASCII).
    func hasTransition(fromRootOn byte: UInt8) -> Bool {
        guard !units.isEmpty else { return false }
        let id = Self.offset(units[0]) ^ Int(byte)
        return id < units.count && Self.label(units[id]) == UInt32(byte)
    }

    /// darts-clone `commonPrefixSearch` reduced to what the normaliser uses: the longest
    /// key that is a prefix of `s[start..<end]` among the first `maxResults` matches.
    @inline(__always)
    func longestPrefix(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, maxResults: Int) -> (length: Int, value: Int)? {
        let count = units.count
        guard count > 0 else { return nil }
        return units.withUnsafeBufferPointer { u -> (length: Int, value: Int)? in
            var id = Self.offset(u[0])
            var found = 0
            var best: (length: Int, value: Int)?
            var i = start
            while i < end {
                let byte = s[i]
                id ^= Int(byte)
                guard id < count else { return best }
                let unit = u[id]
                if Self.label(unit) != UInt32(byte) { return best }
                id ^= Self.offset(unit)
                i += 1
                if Self.hasLeaf(unit) {
                    guard id < count else { return best }
                    if found < maxResults { best = (i - start, Self.value(u[id])) }
                    found += 1
                }
            }
            return best
        }
    }
}
