/// A byte trie over vocabulary pieces, walked one byte at a time like darts'
/// `traverse`. Root transitions are a direct 256-entry table; deeper ones live in
/// one open-addressing hash table keyed by (node, byte), which keeps building
/// simple and each step to one multiply and, usually, one probe.
struct PieceTrie: Sendable {
    static let root: Int32 = 0

    private var rootChildren = [Int32](repeating: -1, count: 256)
    private var keys: [UInt64] = []
    private var children: [Int32] = []
    private var mask = 0
    private var shift: UInt64 = 0
    /// The piece id stored at each node, or -1 when no piece ends there.
    private(set) var values: [Int32] = [-1]

    var isEmpty: Bool { values.count == 1 }

    /// `entries` are (bytes, id) with distinct, non-empty byte strings.
    init(_ entries: [(bytes: [UInt8], id: Int32)]) {
        var edges = 0
        for entry in entries { edges += entry.bytes.count }
        var capacity = 16
        while capacity < edges * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: 0, count: capacity)
        children = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        values.reserveCapacity(edges + 1)
        for entry in entries {
            var node = Self.root
            for byte in entry.bytes {
                var next = child(node, byte)
                if next < 0 {
                    next = Int32(values.count)
                    values.append(-1)
                    insertEdge(node, byte, next)
                }
                node = next
            }
            values[Int(node)] = entry.id
        }
    }

    @inline(__always)
    private static func key(_ node: Int32, _ byte: UInt8) -> UInt64 { (UInt64(node) << 8 | UInt64(byte)) &+ 1 }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    private mutating func insertEdge(_ node: Int32, _ byte: UInt8, _ next: Int32) {
        if node == Self.root {
            rootChildren[Int(byte)] = next
            return
        }
        let k = Self.key(node, byte)
        var i = slot(k)
        while keys[i] != 0 { i = (i + 1) & mask }
        keys[i] = k
        children[i] = next
    }

    /// The child of `node` on `byte`, or -1.
    @inline(__always)
    func child(_ node: Int32, _ byte: UInt8) -> Int32 {
        if node == Self.root { return rootChildren[Int(byte)] }
        let k = Self.key(node, byte)
        return keys.withUnsafeBufferPointer { keys in
            var i = slot(k)
            while true {
                let stored = keys[i]
                if stored == k { return children[i] }
                if stored == 0 { return -1 }
                i = (i + 1) & mask
            }
        }
    }

    /// The id of the exact piece `bytes`, if present.
    func exactMatch(_ bytes: some Sequence<UInt8>) -> Int32? {
        var node = Self.root
        for byte in bytes {
            node = child(node, byte)
            if node < 0 { return nil }
        }
        let id = values[Int(node)]
        return id >= 0 ? id : nil
    }

    /// The length of the longest piece that is a prefix of `s[start..<end]`, or 0.
    @inline(__always)
    func longestPrefixLength(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var node = Self.root
        var longest = 0
        var i = start
        while i < end {
            node = child(node, s[i])
            if node < 0 { break }
            i += 1
            if values[Int(node)] >= 0 { longest = i - start }
        }
        return longest
    }
}
