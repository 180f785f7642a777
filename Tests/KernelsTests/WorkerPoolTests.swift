import Foundation
import Synchronization
import XCTest
@testable import Kernels

/// When helper threads cannot be started (a container's pids limit, `ulimit -v` with many threads), the pool runs
/// the missing workers' shares on the calling thread and says so once (issue 33, item 8: it spun forever).
final class WorkerPoolTests: XCTestCase {
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var warnings: [String] = []
        var started = 0
    }

    /// A thread starter that starts `allowed` threads, then fails with EAGAIN.
    static func pool(allowing allowed: Int, record: Record, cores: Int = 64) -> WorkerPool {
        WorkerPool(startThread: { body in
            let ok = record.lock.withLock { () -> Bool in
                guard record.started < allowed else { return false }
                record.started += 1
                return true
            }
            return ok ? startDetachedThread(body) : EAGAIN
        }, warn: { message in record.lock.withLock { record.warnings.append(message) } }, maximumHelpers: cores - 1)
    }

    func testEveryWorkerRunsWhenHelpersCannotBeStarted() {
        for allowed in [0, 1, 3] {
            let record = Record()
            let pool = Self.pool(allowing: allowed, record: record)
            for _ in 0..<3 {
                let ran = Mutex<[Int]>([])
                XCTAssertTrue(pool.run(workers: 4) { worker in ran.withLock { $0.append(worker) } })
                XCTAssertEqual(ran.withLock { $0.sorted() }, [0, 1, 2, 3], "allowed \(allowed)")
            }
            if allowed >= 3 {
                XCTAssertEqual(record.warnings, [])
            } else {
                XCTAssertEqual(record.warnings.count, 1, "one warning, not one per loop: \(record.warnings)")
                XCTAssertTrue(record.warnings[0].hasPrefix("cannot start helper thread \(allowed + 1) of 3 (Resource temporarily unavailable): "
                                                           + "running on \(allowed + 1) thread"), record.warnings[0])
            }
        }
    }

    /// More workers than cores: helpers for the cores only, the other shares on those threads, one warning.
    func testWorkersBeyondTheCoresRunOnTheCoresThereAre() {
        let record = Record()
        let pool = Self.pool(allowing: 100, record: record, cores: 2)
        for _ in 0..<2 {
            let ran = Mutex<[Int]>([])
            XCTAssertTrue(pool.run(workers: 8) { worker in ran.withLock { $0.append(worker) } })
            XCTAssertEqual(ran.withLock { $0.sorted() }, Array(0..<8))
        }
        XCTAssertEqual(record.started, 1, "one helper for the second core")
        XCTAssertEqual(record.warnings, ["8 threads asked for, 2 cores to run them: the shares of the others run on those "
                                         + "(the results of 8 threads, at the speed of 2)"])
    }

    /// The same sums whether the shares ran on helpers or on the caller: the work split depends on the worker index only.
    func testResultsDoNotDependOnHowManyHelpersStarted() {
        func sums(allowed: Int) -> [Double] {
            let pool = Self.pool(allowing: allowed, record: Record(), cores: allowed + 1)
            let out = Mutex<[Double]>(Array(repeating: 0, count: 4))
            _ = pool.run(workers: 4) { worker in
                var s = 0.0
                for i in stride(from: worker, to: 10_000, by: 4) { s += 1 / Double(i + 1) }
                out.withLock { $0[worker] = s }
            }
            return out.withLock { $0 }
        }
        XCTAssertEqual(sums(allowed: 0), sums(allowed: 3))
    }
}
