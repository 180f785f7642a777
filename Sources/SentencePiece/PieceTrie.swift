/// A double-array trie over vocabulary pieces, built here and walked one byte at
/// a time like darts' `traverse`. Each unit is 32 bits: a node holds its own
/// label, a has-piece flag and the base of its children (child = base + byte);
/// the piece ending at a node sits in a leaf unit at `base + 0`, marked by bit 31
/// so it never matches a label. Bases are unique, so checking the label proves
/// the parent. The whole T5 vocabulary takes about 0.5 MB, close to a core's
/// cache, which is what makes segmentation fast.
import Failures
struct PieceTrie: Sendable {
    /// A step from a node on one byte.
    struct Edge {
        /// The node reached, or -1.
        var child: Int32 = -1
        /// The piece ending at `child`: its id, -1 for none, `-2 - id` for a piece the
        /// segmenter must skip (UNUSED) but `PieceToId` still finds.
        var id: Int32 = -1
        /// The score the segmenter uses for that piece.
        var score: Float = 0
    }

    static let root: Int32 = 0
    private static let leafBit: UInt32 = 0x8000_0000
    private static let hasLeafBit: UInt32 = 0x100
    private static let maxBase = (1 << 22) - 1

    private var units: [UInt32] = [0]
    /// Score of each piece id that is in the trie.
    private var scores: [Float] = []
    private(set) var nodeCount = 1

    var isEmpty: Bool { nodeCount == 1 }

    /// `entries` are distinct, non-empty byte strings without NUL bytes, with their
    /// id and score; `skipped` pieces are found by `exactMatch` but flagged in edges.
    init(_ entries: [(bytes: [UInt8], id: Int32, score: Float, skipped: Bool)]) throws {
        let maxId = entries.map(\.id).max() ?? -1
        guard maxId < Int32(1 << 29) else {
            throw PipelineError(.badInput, "too many pieces for the piece trie")
        }
        scores = [Float](repeating: 0, count: Int(maxId) + 1)
        for entry in entries { scores[Int(entry.id)] = entry.score }
        if entries.isEmpty { return }
        let sorted = entries.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        var builder = Builder()
        try builder.build(sorted)
        units = builder.units
        nodeCount = builder.nodeCount
    }

    /// Places nodes depth-first: for each node, the first unused base whose
    /// child slots (leaf at +0, then +byte for each child) are all free. Free
    /// units form a linked list, so a search skips the occupied ones.
    private struct Builder {
        var units: [UInt32] = [0]
        var usedBase: [Bool] = [true]
        /// Free-list links for every unit; -1 ends the list. Occupied units are unlinked.
        var nextFree: [Int] = [-1]
        var previousFree: [Int] = [-1]
        var isFree: [Bool] = [false]
        var head = -1
        var tail = -1
        var nodeCount = 1

        mutating func grow(to size: Int) {
            guard size > units.count else { return }
            let old = units.count
            units.append(contentsOf: repeatElement(0, count: size - old))
            usedBase.append(contentsOf: repeatElement(false, count: size - old))
            isFree.append(contentsOf: repeatElement(true, count: size - old))
            nextFree.append(contentsOf: repeatElement(-1, count: size - old))
            previousFree.append(contentsOf: repeatElement(-1, count: size - old))
            for i in old..<size {
                previousFree[i] = tail
                if tail >= 0 { nextFree[tail] = i } else { head = i }
                tail = i
            }
        }

        mutating func occupy(_ i: Int) {
            isFree[i] = false
            let p = previousFree[i], n = nextFree[i]
            if p >= 0 { nextFree[p] = n } else { head = n }
            if n >= 0 { previousFree[n] = p } else { tail = p }
        }

        mutating func findBase(_ labels: [Int]) throws -> Int {
            let first = labels[0]
            var position = head
            while true {
                if position < 0 {
                    // No free unit fits: extend the array and continue from the new units.
                    let start = units.count
                    grow(to: start + 512)
                    position = start
                }
                let base = position - first
                if base >= 1 && base + 256 >= units.count { grow(to: base + 257) }
                if base >= 1 && !usedBase[base] && labels.allSatisfy({ isFree[base + $0] }) {
                    guard base <= PieceTrie.maxBase else {
                        throw PipelineError(.badInput, "the vocabulary is too large for the piece trie")
                    }
                    return base
                }
                position = nextFree[position]
            }
        }

        mutating func build(_ entries: [(bytes: [UInt8], id: Int32, score: Float, skipped: Bool)]) throws {
            // (unit position, entries lo..<hi sharing `depth` leading bytes)
            var stack: [(position: Int, lo: Int, hi: Int, depth: Int)] = [(0, 0, entries.count, 0)]
            while let (position, lo, hi, depth) = stack.popLast() {
                var labels: [Int] = []
                var ranges: [(Int, Int)] = []
                var leaf: (bytes: [UInt8], id: Int32, score: Float, skipped: Bool)?
                var i = lo
                if entries[i].bytes.count == depth {
                    leaf = entries[i]
                    labels.append(0)
                    i += 1
                }
                while i < hi {
                    let byte = entries[i].bytes[depth]
                    guard byte != 0 else {
                        throw PipelineError(.badInput, "a piece contains a NUL byte")
                    }
                    var j = i + 1
                    while j < hi && entries[j].bytes[depth] == byte { j += 1 }
                    labels.append(Int(byte))
                    ranges.append((i, j))
                    i = j
                }
                let base = try findBase(labels)
                usedBase[base] = true
                units[position] |= UInt32(base) << 9 | (leaf == nil ? 0 : PieceTrie.hasLeafBit)
                if let leaf {
                    occupy(base)
                    let value = UInt32(leaf.id) << 1 | (leaf.skipped ? 1 : 0)
                    units[base] = PieceTrie.leafBit | value
                }
                for (k, range) in ranges.enumerated() {
                    let label = labels[leaf == nil ? k : k + 1]
                    let child = base + label
                    occupy(child)
                    units[child] = UInt32(label)
                    nodeCount += 1
                    stack.append((child, range.0, range.1, depth + 1))
                }
            }
        }
    }

    /// The step from `node` on `byte`.
    @inline(__always)
    func edge(_ node: Int32, _ byte: UInt8) -> Edge {
        units.withUnsafeBufferPointer { units in
            // NUL never starts a transition (pieces cannot contain it).
            guard byte != 0 else { return Edge() }
            let next = Int(units[Int(node)] >> 9 & 0x3F_FFFF) + Int(byte)
            guard next < units.count else { return Edge() }
            let unit = units[next]
            guard unit & (Self.leafBit | 0xFF) == UInt32(byte) else { return Edge() }
            guard unit & Self.hasLeafBit != 0 else { return Edge(child: Int32(next)) }
            let value = units[Int(unit >> 9 & 0x3F_FFFF)] & ~Self.leafBit
            let id = Int32(value >> 1)
            return Edge(child: Int32(next), id: value & 1 == 0 ? id : -2 - id, score: scores[Int(id)])
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
