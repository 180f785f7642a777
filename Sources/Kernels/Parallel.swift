// Row-parallel loops for the element-wise kernels (GEMMs are threaded by OpenBLAS itself).
import Dispatch
import Foundation
import COpenBLAS

public enum Parallel {
    /// Worker count for Swift-side loops (default: the active processor count, as OpenBLAS);
    /// `setThreads` sets both.
    nonisolated(unsafe) public private(set) static var threads = ProcessInfo.processInfo.activeProcessorCount

    public static func setThreads(_ count: Int) {
        threads = max(1, count)
        openblas_set_num_threads(Int32(threads))
    }

    /// Calls `body` on disjoint sub-ranges of `0..<count`, in parallel when the work is big enough.
    /// `costPerItem` is a rough flop count per item; small jobs stay on the calling thread.
    @inline(__always)
    public static func forRanges(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { escapable in
            // Workers write disjoint ranges; the caller owns the buffers for the call's duration.
            let task = UncheckedTask(run: escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * chunk
                let end = min(count, start + chunk)
                if start < end { task.run(start..<end) }
            }
        }
    }
}

private struct UncheckedTask: @unchecked Sendable {
    let run: (Range<Int>) -> Void
}
