import XCTest
@testable import T5Training

/// The activation arena under shapes that change every step (unpadded batches).
final class ArenaTests: XCTestCase {
    func testAStepThatNeededNewChunksLeavesOneChunkTheNextStepsFitInAnyOrder() {
        let arena = Arena(minimumChunk: 1_000)
        // Step 1: a small request, then a large one that does not fit the first chunk's tail.
        _ = arena.floats(900)
        _ = arena.floats(5_000)
        let grown = arena.capacityBytes
        XCTAssertGreaterThan(grown, 5_000 * 4)
        arena.reset()
        XCTAssertEqual(arena.capacityBytes, grown, "the merged chunk has the chunks' total size")
        // Step 2: the same needs in the other order, and then step 3 in the first order: no growth.
        _ = arena.floats(5_000)
        _ = arena.floats(900)
        arena.reset()
        _ = arena.floats(900)
        _ = arena.floats(5_000)
        arena.reset()
        XCTAssertEqual(arena.capacityBytes, grown)
    }

    func testAllocationsDoNotOverlap() {
        let arena = Arena(minimumChunk: 64)
        let sizes = [3, 17, 100, 1, 64, 250]
        var spans: [(start: Int, end: Int)] = []
        for (i, n) in sizes.enumerated() {
            let p = arena.floats(n)
            p.update(repeating: Float(i), count: n)
            spans.append((Int(bitPattern: p), Int(bitPattern: p + n)))
        }
        for a in spans.indices {
            for b in spans.indices where a < b {
                XCTAssertTrue(spans[a].end <= spans[b].start || spans[b].end <= spans[a].start, "allocations \(a) and \(b) overlap")
            }
        }
        XCTAssertTrue(arena.zeros(40).withMemoryRebound(to: UInt32.self, capacity: 40) { z in (0..<40).allSatisfy { z[$0] == 0 } })
    }
}
