// Bump allocator for activations and backward scratch: rewound every step, so after the first step at the
// largest batch shape a training step allocates nothing.

final class Arena: @unchecked Sendable {
    private var chunks: [FloatStorage] = []
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
        let storage = FloatStorage(count: max(rounded, minimumChunk))
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
        chunk = 0
        used = 0
    }

    var capacityBytes: Int { chunks.reduce(0) { $0 + $1.count * 4 } }
}
