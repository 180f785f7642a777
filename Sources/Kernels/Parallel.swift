// All multi-threading goes through here, GEMMs included: OpenBLAS runs single-threaded and GEMM.matmul
// splits big products across these workers. With OpenBLAS threaded, its idle workers spin in
// sched_yield whenever Swift code runs (norms, softmax, GELU), taking a core from our own loop: that was
// 10-13% of an encoder forward or a training step on 2 cores. A loop nested inside a worker runs serially.
// The helper threads are WorkerPool's.
import Foundation
import COpenBLAS
import Synchronization

public enum Parallel {
    /// Worker count (default: the active processor count); `setThreads` changes it.
    nonisolated(unsafe) public private(set) static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// OpenBLAS is made single-threaded once, before its first use (GEMM.matmul reads this).
    static let blasSingleThreaded: Void = blas_set_num_threads(1)

    public static func setThreads(_ count: Int) {
        _ = blasSingleThreaded
        threads = max(1, count)
    }

    /// True on a thread that is running the body of a parallel loop (nested loops then run serially).
    public static var isInsideWorker: Bool { pthread_getspecific(workerKey.key) != nil }

    /// Calls `body` on disjoint sub-ranges of `0..<count`, in parallel when the work is big enough.
    /// `costPerItem` is a rough flop count per item; small jobs stay on the calling thread.
    @inline(__always)
    public static func forRanges(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || count * costPerItem < 32_768 || isInsideWorker {
            if count > 0 { body(0..<count) }
            return
        }
        // Fixed chunks (so results never depend on timing), a few per worker and claimed in turn: a
        // worker slowed by another process no longer holds up the whole loop while the other waits.
        let chunks = min(count, workers * chunksPerWorker)
        let chunk = (count + chunks - 1) / chunks
        let claims = ChunkCounter()
        run(workers: workers) { _ in
            while true {
                let start = claims.next() * chunk
                if start >= count { break }
                body(start..<min(count, start + chunk))
            }
        }
    }

    /// Measured on the 2-core machine: batch-8 generation 5% faster than one chunk per worker.
    static let chunksPerWorker = 4

    /// Runs `body(task, worker)` for every task in `0..<count`, task i on worker i mod workers
    /// (a fixed assignment, so per-worker scratch and results do not depend on timing).
    public static func forEachTask(_ count: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || isInsideWorker {
            for task in 0..<count { body(task, 0) }
            return
        }
        run(workers: workers) { worker in
            var task = worker
            while task < count {
                body(task, worker)
                task += workers
            }
        }
    }

    /// Tasks 0..<count ordered for `forEachClaimedTask`: costliest first, ties by task number (a fixed order).
    public static func costliestFirst(_ count: Int, cost: (Int) -> Int) -> [Int] {
        let costs = (0..<count).map(cost)
        return (0..<count).sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    }

    /// Runs `body(task, worker)` for every task in `order`, each claimed by whichever worker is free first:
    /// for tasks of very different sizes (ragged sequences), given costliest first. Each task must write
    /// only its own outputs and use `worker` only to pick scratch it fully rewrites, so results never
    /// depend on which worker ran it.
    public static func forEachClaimedTask(_ order: [Int], _ body: (_ task: Int, _ worker: Int) -> Void) {
        let workers = min(threads, order.count)
        if workers <= 1 || isInsideWorker {
            for task in order { body(task, 0) }
            return
        }
        let claims = ChunkCounter()
        order.withUnsafeBufferPointer { order in
            run(workers: workers) { worker in
                while true {
                    let i = claims.next()
                    if i >= order.count { break }
                    body(order[i], worker)
                }
            }
        }
    }

    private static func run(workers: Int, _ body: (Int) -> Void) {
        // Workers write disjoint outputs; the caller owns the buffers for the call's duration.
        let wasInside = isInsideWorker
        if !wasInside { pthread_setspecific(workerKey.key, UnsafeRawPointer(bitPattern: 1)) }
        defer { if !wasInside { pthread_setspecific(workerKey.key, nil) } }
        if !pool.run(workers: workers, body) {
            for worker in 0..<workers { body(worker) }  // another thread's loop holds the helpers
        }
    }

    /// Marks a pool helper thread for good: loops it runs nest serially.
    static func markWorkerThread() { pthread_setspecific(workerKey.key, UnsafeRawPointer(bitPattern: 1)) }

    private static let workerKey = ThreadKey()
    private static let pool = WorkerPool()
}

/// Hands out chunk indices 0, 1, 2, … to whichever worker asks first.
private final class ChunkCounter: @unchecked Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

private final class ThreadKey: @unchecked Sendable {
    var key = pthread_key_t()
    init() { pthread_key_create(&key, nil) }
}

