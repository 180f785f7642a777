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
    /// Set once a helper could not be started (a pids or memory limit): the pool keeps the helpers it has and
    /// the calling thread runs the missing workers' shares, so results stay the same. It used to wait for the
    /// missing helper forever, spinning, deaf to SIGINT and SIGTERM.
    private var cannotGrow = false
    /// Starts a thread running `body`; returns 0 or an errno (pthread_create's). Tests substitute a failing one.
    let startThread: (@escaping () -> Void) -> Int32
    /// Told once when a helper cannot be started (default: one warning line on stderr).
    let warn: (String) -> Void

    /// At most this many helpers: one per core besides the caller's. A loop of more workers than cores (runtime.threads
    /// above the machine's) runs the extra workers' shares on the threads there are: the same results, as each share
    /// depends on its worker index only, without a hundred threads spinning on two cores (or exhausting memory).
    let maximumHelpers: Int
    private var warnedAboutCores = false

    init(startThread: @escaping (@escaping () -> Void) -> Int32 = startDetachedThread,
         warn: @escaping (String) -> Void = WorkerPool.warnOnStandardError,
         maximumHelpers: Int = max(0, ProcessInfo.processInfo.activeProcessorCount - 1)) {
        self.startThread = startThread
        self.warn = warn
        self.maximumHelpers = maximumHelpers
    }

    /// Runs `body(worker)` for worker 0 (this thread) and 1..<workers (helpers) and returns when all
    /// are done. Returns false without running anything if another thread's loop holds the pool.
    func run(workers: Int, _ body: (Int) -> Void) -> Bool {
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { inUse.store(false, ordering: .releasing) }
        if workers - 1 > maximumHelpers && !warnedAboutCores {
            warnedAboutCores = true
            warn("\(workers) threads asked for, \(maximumHelpers + 1) cores to run them: the shares of the others run on those "
                 + "(the results of \(workers) threads, at the speed of \(maximumHelpers + 1))")
        }
        while helpers < min(workers - 1, maximumHelpers) && !cannotGrow { startHelper(index: helpers + 1, wanted: workers - 1) }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobWorkers = workers
            finished.store(0, ordering: .relaxed)
            sleep.lock()
            generation.add(1, ordering: .releasing)
            sleep.broadcast()
            sleep.unlock()
            escapable(0)
            // workers the pool has no helper for: their shares, in order, on this thread
            for worker in (helpers + 1)..<max(helpers + 1, workers) { escapable(worker) }
            while !spin(until: { self.finished.load(ordering: .acquiring) == self.helpers }) { sched_yield() }
            job = nil
        }
        return true
    }

    private func startHelper(index: Int, wanted: Int) {
        let seen = generation.load(ordering: .relaxed)
        let error = startThread { [self] in helperLoop(index: index, seen: seen) }
        guard error == 0 else {
            cannotGrow = true
            warn("cannot start helper thread \(index) of \(wanted) (\(String(cString: strerror(error)))): running on \(helpers + 1) "
                 + "thread\(helpers == 0 ? "" : "s") (runtime.threads is more than this process may start; lower it)")
            return
        }
        helpers += 1
    }


    static func warnOnStandardError(_ message: String) {
        let program = URL(fileURLWithPath: CommandLine.arguments.first ?? "flan-lora").lastPathComponent
        FileHandle.standardError.write(Data("\(program): warning: \(message)\n".utf8))
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

/// Starts a detached POSIX thread (default stack) running `body`; returns 0 or pthread_create's error, which
/// Foundation's `Thread` drops (its `start()` then silently runs nothing).
public func startDetachedThread(_ body: @escaping () -> Void) -> Int32 {
    final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let error = pthread_create(&thread, nil, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    guard error == 0 else {
        box.release()
        return error
    }
    pthread_detach(thread)
    return 0
}
