// Bump allocator for activations and backward scratch: rewound every step, so after the first step at the
// largest batch shape a training step allocates nothing. Unpadded batches change shape every step, and a
// step whose requests came in another order would not fit the chunks an earlier one left (a large request
// skips past a chunk's free tail), so the arena grew step after step. Instead, a reset after a step that
// needed a new chunk replaces all chunks by one of their total size: any later step that needs no more
// than that fits it, in any order.

final class Arena: @unchecked Sendable {
    private var chunks: [ArenaChunk] = []
    private var chunk = 0
    private var used = 0
    private let minimumChunk: Int

    init(minimumChunk: Int = 1 << 22) { self.minimumChunk = minimumChunk }

    /// Uninitialised space for `count` floats, valid until `reset`. Rows stay 16-float aligned.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let rounded = (max(count, 1) + 15) & ~15
        while chunk < chunks.count {
            if used + rounded <= chunks[chunk].count {
                defer { used += rounded }
                return chunks[chunk].pointer + used
            }
            chunk += 1
            used = 0
        }
        let storage = ArenaChunk(count: max(rounded, minimumChunk))
        chunks.append(storage)
        used = rounded
        return storage.pointer
    }

    func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = floats(count)
        p.update(repeating: 0, count: count)
        return p
    }

    func reset() {
        if chunks.count > 1 {
            let total = chunks.reduce(0) { $0 + $1.count }
            chunks = []  // freed before the merged chunk is allocated
            chunks = [ArenaChunk(count: total)]
        }
        chunk = 0
        used = 0
    }

    var capacityBytes: Int { chunks.reduce(0) { $0 + $1.count * 4 } }
}
