/// A hash map from short byte strings to Int32, for interning tokens: FNV-1a hashing and
/// linear probing over one byte arena, so a lookup neither allocates nor runs SipHash.
struct ByteStringTable {
    private var arena: [UInt8] = []
    /// Per entry: start in `arena`, length, value.
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var values: [Int32] = []
    /// Slot -> entry index + 1 (0 = empty).
    private var slots = [Int32](repeating: 0, count: 1024)
    private var hashes: [UInt64] = []

    var count: Int { values.count }

    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in key {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    private func equals(_ entry: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard lengths[entry] == key.count else { return false }
        let start = starts[entry]
        for k in 0..<key.count where arena[start + k] != key[k] { return false }
        return true
    }

    func value(for key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { k in
            let h = Self.hash(k)
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = Int(slots[slot])
                if e == 0 { return nil }
                if hashes[e - 1] == h && equals(e - 1, k) { return values[e - 1] }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Inserts a key that is not present.
    mutating func insert(_ key: [UInt8], value: Int32) {
        if (values.count + 1) * 2 > slots.count { grow() }
        let h = key.withUnsafeBufferPointer { Self.hash($0) }
        starts.append(arena.count)
        lengths.append(key.count)
        arena.append(contentsOf: key)
        values.append(value)
        hashes.append(h)
        place(entry: values.count - 1)
    }

    private mutating func place(entry: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for e in 0..<values.count { place(entry: e) }
    }
}
