// Scratch buffers for the products' temporaries (a bf16-rounded input, a widened or dequantized weight tile),
// reused from product to product. A fresh buffer of megabytes for each product costs its page faults (a decoding
// step makes ~100 products), and glibc's heap, keeping freed buffers of changing sizes between long-lived
// allocations, grew an IA3 validation pass's peak RSS from 2.9 GB to 3.0-4.4 GB from run to run (docs/BENCHMARKS.md).
// The pool holds one buffer per product running at once (several only when products run concurrently); a request
// that fits none of the free ones replaces the largest, so it never holds more than that.
import Foundation

public final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    /// The smallest buffer made (4 MB): every flan-t5-base weight tile fits one.
    static let minimumBytes = 1 << 22

    final class Buffer {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
        init(bytes: Int) {
            self.bytes = bytes
            pointer = .allocate(byteCount: bytes, alignment: 64)
        }
        deinit { pointer.deallocate() }
    }

    private var free: [Buffer] = []
    private let lock = NSLock()

    func take(_ bytes: Int) -> Buffer {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.indices.filter({ free[$0].bytes >= bytes }).min(by: { free[$0].bytes < free[$1].bytes }) {
            return free.remove(at: i)
        }
        if let largest = free.indices.max(by: { free[$0].bytes < free[$1].bytes }) { free.remove(at: largest) }
        return Buffer(bytes: max(bytes, ScratchPool.minimumBytes))
    }

    func give(_ buffer: Buffer) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }

    /// Runs `body` with uninitialised room for `count` values of `T`, taken from the pool and given back after.
    public static func with<T, R>(_ count: Int, of type: T.Type, _ body: (UnsafeMutablePointer<T>) throws -> R) rethrows -> R {
        let buffer = shared.take(max(count, 1) * MemoryLayout<T>.stride)
        defer { shared.give(buffer) }
        return try body(buffer.pointer.bindMemory(to: T.self, capacity: max(count, 1)))
    }
}
