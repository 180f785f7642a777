// The helper threads behind Parallel's loops. After a loop they spin for a short while before they
// sleep, so the next loop of a decoding step (about 170 loops of 50-300 µs each at batch 8) starts on
// both cores at once. DispatchQueue.concurrentPerform woke a pooled thread through the kernel for
// every loop instead: measured on the 2-core machine, a loop of 2 × 20 µs took 36 µs instead of 21.
import CPUHints
import Dispatch
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    /// How long a helper spins for the next loop before it sleeps, and how long the caller spins for
    /// the helpers between yields of its core (a helper may have been descheduled).
    static let spinNanoseconds: UInt64 = 200_000

    private let generation = Atomic<Int>(0)  // bumped once per loop, after `job` is set
    private let finished = Atomic<Int>(0)    // helpers done with the current loop
    private let inUse = Atomic<Bool>(false)  // one loop at a time; another thread's loop runs serially
    private let sleep = NSCondition()        // guards helpers going to sleep against a missed bump
    private var job: ((Int) -> Void)?
    private var jobWorkers = 0
    private var helpers = 0

    /// Runs `body(worker)` for worker 0 (this thread) and 1..<workers (helpers) and returns when all
    /// are done. Returns false without running anything if another thread's loop holds the pool.
    func run(workers: Int, _ body: (Int) -> Void) -> Bool {
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { inUse.store(false, ordering: .releasing) }
        while helpers < workers - 1 { startHelper(index: helpers + 1) }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobWorkers = workers
            finished.store(0, ordering: .relaxed)
            sleep.lock()
            generation.add(1, ordering: .releasing)
            sleep.broadcast()
            sleep.unlock()
            escapable(0)
            while !spin(until: { self.finished.load(ordering: .acquiring) == self.helpers }) { sched_yield() }
            job = nil
        }
        return true
    }

    private func startHelper(index: Int) {
        helpers += 1
        let seen = generation.load(ordering: .relaxed)
        let thread = Thread { [self] in helperLoop(index: index, seen: seen) }
        thread.name = "parallel-\(index)"
        thread.start()
    }

    private func helperLoop(index: Int, seen start: Int) {
        Parallel.markWorkerThread()
        var seen = start
        while true {
            if !spin(until: { self.generation.load(ordering: .acquiring) != seen }) {
                sleep.lock()
                while generation.load(ordering: .acquiring) == seen { sleep.wait() }
                sleep.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if index < jobWorkers, let job { job(index) }
            finished.add(1, ordering: .releasing)
        }
    }

    /// Spins until `ready()` and returns true, or returns false after `spinNanoseconds`.
    private func spin(until ready: () -> Bool) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var spins = 0
        while !ready() {
            cpu_spin_pause()
            spins += 1
            if spins & 63 == 0, DispatchTime.now().uptimeNanoseconds > deadline { return false }
        }
        return true
    }
}
