import Synchronization
import XCTest
@testable import Kernels

final class ParallelTests: XCTestCase {
    /// Every index is visited exactly once, in chunks whose bounds depend only on the count and the
    /// worker count (never on timing), and a loop nested in a worker runs serially.
    func testForRangesCoversEachIndexOnceInFixedChunks() {
        let before = Parallel.threads
        defer { Parallel.setThreads(before) }
        for threads in [1, 2, 3] {
            Parallel.setThreads(threads)
            for count in [0, 1, 5, 8, 13, 100, 1001] {
                let visits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                defer { visits.deallocate() }
                visits.initialize(repeating: 0, count: max(count, 1))
                let lock = NSLock()
                var ranges: [Range<Int>] = []
                Parallel.forRanges(count, costPerItem: 100_000) { range in
                    for i in range { visits[i] += 1 }
                    lock.lock(); ranges.append(range); lock.unlock()
                    if Parallel.isInsideWorker {
                        Parallel.forRanges(4, costPerItem: 100_000) { inner in XCTAssertEqual(inner, 0..<4) }
                    }
                }
                XCTAssertEqual((0..<count).filter { visits[$0] != 1 }, [], "threads \(threads) count \(count)")
                let workers = min(threads, count)
                if workers > 1 {
                    let chunks = min(count, workers * Parallel.chunksPerWorker), size = (count + chunks - 1) / chunks
                    let expected = stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
                    XCTAssertEqual(ranges.sorted { $0.lowerBound < $1.lowerBound }, expected, "threads \(threads) count \(count)")
                }
            }
        }
    }

    /// The pool's helpers take part in loop after loop, whether they were still spinning or had gone
    /// to sleep in between, and a loop started while another thread's loop holds the helpers runs
    /// serially on its own thread; every index is covered once either way.
    func testLoopsBackToBackAfterSleepAndFromTwoThreads() {
        let before = Parallel.threads
        defer { Parallel.setThreads(before) }
        Parallel.setThreads(2)
        var helped = Set<Int>()
        for round in 0..<2_000 {
            XCTAssertTrue(Self.checkedLoop(64), "round \(round)")
            if round % 500 == 0 { usleep(2 * UInt32(WorkerPool.spinNanoseconds / 1_000)) }  // helpers asleep
            Parallel.forEachTask(2) { _, worker in
                if worker == 1, !Thread.isMainThread { helped.insert(round) }
            }
        }
        XCTAssertEqual(helped.count, 2_000, "a helper thread ran worker 1 of every loop")
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<500 where !Self.checkedLoop(257) { failures.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }

    /// A parallel loop over `count` indices; true if each was visited exactly once.
    private static func checkedLoop(_ count: Int) -> Bool {
        let visits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer { visits.deallocate() }
        visits.initialize(repeating: 0, count: count)
        Parallel.forRanges(count, costPerItem: 100_000) { range in for i in range { visits[i] += 1 } }
        return (0..<count).allSatisfy { visits[$0] == 1 }
    }
}
