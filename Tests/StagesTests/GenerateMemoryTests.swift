import Foundation
import XCTest
import Kernels
@testable import Stages

/// `generate` gives each batch's freed buffers back (issue 33, item 10): glibc kept them, and a standalone run's
/// resident size grew with its input (81 MB for 500 demo dialogues, 158 MB for 3,000; 9.5 GB for 100,000), while
/// its live heap stayed near 10 MB. With `FreedMemory.release()` after each batch: 64 and 73 MB (release build).
final class GenerateMemoryTests: XCTestCase {
    /// This process's resident size in bytes (/proc/self/statm).
    func residentBytes() throws -> Int {
        let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return Int(fields[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Memory freed between live blocks (which glibc cannot trim from the top of its heap) is given back.
    func testReleaseGivesFreedHeapMemoryBack() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self/statm"), "needs /proc")
        // 1,000 blocks of 96 kB (under glibc's mmap threshold, so on the heap), each followed by one of the same size
        // that stays live: no freed block can merge into the heap's top, which free() alone would give back. (With
        // small live blocks, a long test process served them from its free lists elsewhere, and it did.)
        var freed: [UnsafeMutableRawPointer] = [], kept: [UnsafeMutableRawPointer] = []
        for _ in 0..<1_000 {
            let block = malloc(96 << 10)!
            memset(block, 1, 96 << 10)
            freed.append(block)
            let live = malloc(96 << 10)!
            memset(live, 2, 96 << 10)
            kept.append(live)
        }
        for block in freed { free(block) }
        let before = try residentBytes()
        XCTAssertTrue(FreedMemory.release(), "malloc_trim found and gave memory back")
        let after = try residentBytes()
        for block in kept { free(block) }
        // 94 MB freed; how much of it glibc had already returned depends on the process's other threads
        XCTAssertGreaterThan(before - after, 16 << 20, "resident \(before >> 20) MB before the release, \(after >> 20) MB after")
    }
}
