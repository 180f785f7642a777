/// A byte trie over vocabulary pieces, walked one byte at a time like darts'
/// `traverse`. Root transitions are a direct 256-entry table; deeper ones live in
/// one open-addressing hash table keyed by (node, byte). Each edge entry also
/// carries what the Viterbi needs about the piece ending at its child (id and
/// score), so one step costs one probe into one array, usually one cache line.
struct PieceTrie: Sendable {
    /// An edge and the piece that ends where it leads.
    struct Edge {
        /// (parent << 8 | byte) + 1; 0 marks an empty slot.
        var key: UInt32 = 0
        var child: Int32 = -1
        /// The piece ending at `child`: its id, -1 for none, `-2 - id` for a piece the
        /// segmenter must skip (UNUSED) but `PieceToId` still finds.
        var id: Int32 = -1
        /// The score the segmenter uses for that piece.
        var score: Float = 0
    }

    static let root: Int32 = 0
    /// Keys hold the node number in 24 bits.
    static let maxNodes = 1 << 24

    private var rootEdges = [Edge](repeating: Edge(), count: 256)
    private var edges: [Edge] = []
    private var mask = 0
    private var shift: UInt32 = 0
    private(set) var nodeCount = 1

    var isEmpty: Bool { nodeCount == 1 }

    /// `entries` are distinct, non-empty byte strings with their id and score;
    /// `skipped` pieces are found by `exactMatch` but not by `edge(_:_:)` users.
    init(_ entries: [(bytes: [UInt8], id: Int32, score: Float, skipped: Bool)]) throws {
        // Shared prefixes make the edges far fewer than the pieces' bytes (T5: 82k of 265k),
        // so the table starts small and doubles as it fills.
        var byteCount = 0
        for entry in entries { byteCount += entry.bytes.count }
        var capacity = 1 << 10
        while capacity < byteCount / 2 { capacity <<= 1 }
        resize(to: capacity)
        var used = 0
        for entry in entries {
            var node = Self.root
            var slot = -1
            for byte in entry.bytes {
                let (found, index) = locate(node, byte)
                if found {
                    node = index < 0 ? rootEdges[Int(byte)].child : edges[index].child
                    slot = index < 0 ? -1 - Int(byte) : index
                    continue
                }
                guard nodeCount < Self.maxNodes else {
                    throw SentencePieceError(.unsupportedModel, "the vocabulary is too large for the piece trie")
                }
                let child = Int32(nodeCount)
                nodeCount += 1
                if node == Self.root {
                    rootEdges[Int(byte)] = Edge(key: 1, child: child)
                    slot = -1 - Int(byte)
                } else {
                    var free = index
                    if (used + 1) * 10 > edges.count * 7 {
                        resize(to: edges.count * 2)
                        free = locate(node, byte).index
                    }
                    edges[free] = Edge(key: Self.key(node, byte), child: child)
                    used += 1
                    slot = free
                }
                node = child
            }
            let id = entry.skipped ? -2 - entry.id : entry.id
            if slot < 0 {
                rootEdges[-1 - slot].id = id
                rootEdges[-1 - slot].score = entry.score
            } else {
                edges[slot].id = id
                edges[slot].score = entry.score
            }
        }
    }

    /// Rehashes into a table of `capacity` slots (a power of two).
    private mutating func resize(to capacity: Int) {
        let old = edges
        edges = [Edge](repeating: Edge(), count: capacity)
        mask = capacity - 1
        shift = UInt32(32 - capacity.trailingZeroBitCount)
        for edge in old where edge.key != 0 {
            var i = firstSlot(edge.key)
            while edges[i].key != 0 { i = (i + 1) & mask }
            edges[i] = edge
        }
    }

    @inline(__always)
    private static func key(_ node: Int32, _ byte: UInt8) -> UInt32 { (UInt32(node) << 8 | UInt32(byte)) &+ 1 }

    @inline(__always)
    private func firstSlot(_ key: UInt32) -> Int { Int((key &* 0x9E37_79B1) >> shift) }

    /// Whether the edge exists, and its slot (negative for root edges) or the free slot to fill.
    private func locate(_ node: Int32, _ byte: UInt8) -> (found: Bool, index: Int) {
        if node == Self.root { return (rootEdges[Int(byte)].child >= 0, -1) }
        let k = Self.key(node, byte)
        var i = firstSlot(k)
        while true {
            if edges[i].key == k { return (true, i) }
            if edges[i].key == 0 { return (false, i) }
            i = (i + 1) & mask
        }
    }

    /// The edge from `node` on `byte`; its `child` is -1 when there is none.
    @inline(__always)
    func edge(_ node: Int32, _ byte: UInt8) -> Edge {
        if node == Self.root { return rootEdges.withUnsafeBufferPointer { $0[Int(byte)] } }
        let k = Self.key(node, byte)
        return edges.withUnsafeBufferPointer { edges in
            var i = firstSlot(k)
            while true {
                let e = edges[i]
                if e.key == k { return e }
                if e.key == 0 { return Edge() }
                i = (i + 1) & mask
            }
        }
    }

    /// The id of the exact piece `bytes` (skipped pieces included), if present.
    func exactMatch(_ bytes: some Sequence<UInt8>) -> Int32? {
        var node = Self.root
        var last = Edge()
        for byte in bytes {
            last = edge(node, byte)
            if last.child < 0 { return nil }
            node = last.child
        }
        guard node != Self.root else { return nil }
        if last.id >= 0 { return last.id }
        if last.id <= -2 { return -2 - last.id }
        return nil
    }

    /// The length of the longest piece that is a prefix of `s[start..<end]`, or 0.
    @inline(__always)
    func longestPrefixLength(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var node = Self.root
        var longest = 0
        var i = start
        while i < end {
            let e = edge(node, s[i])
            if e.child < 0 { break }
            node = e.child
            i += 1
            if e.id != -1 { longest = i - start }
        }
        return longest
    }
}
