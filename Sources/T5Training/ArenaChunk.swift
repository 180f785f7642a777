// One chunk of an Arena: anonymous pages mapped for it alone (mmap), given back to the system when it goes (munmap),
// touched only as they are first used. Chunks from malloc (16 MB and up) landed in glibc's heap once its mmap
// threshold had risen to their size, and the heap kept them resident after a merge freed them: an IA3 validation
// pass's peak RSS varied from 2.9 to 4.4 GB from run to run (docs/BENCHMARKS.md).
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Kernels

final class ArenaChunk: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let bytes: Int

    init(count: Int) {
        self.count = max(count, 1)
        bytes = self.count * MemoryLayout<Float>.stride
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            InternalFailure.exit("out of memory for \(bytes >> 20) MB of activations")
        }
        pointer = mapped.bindMemory(to: Float.self, capacity: self.count)
    }

    deinit { munmap(pointer, bytes) }
}
