import XCTest
@testable import Kernels

final class PhiloxGeneratorTests: XCTestCase {
    /// Random123's published known-answer vectors for philox4x32-10.
    func testKnownAnswerVectors() {
        XCTAssertEqual(PhiloxGenerator.block(counter: .zero, key: .zero),
                       SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
        XCTAssertEqual(PhiloxGenerator.block(counter: SIMD4(repeating: .max), key: SIMD2(repeating: .max)),
                       SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
        XCTAssertEqual(PhiloxGenerator.block(counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
                                             key: SIMD2(0xa409_3822, 0x299f_31d0)),
                       SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
    }

    func testCounterLayoutMapsSeedStreamAndBlock() {
        let g = PhiloxGenerator(seed: 0x299f_31d0_a409_3822, stream: 0x0370_7344_1319_8a2e)
        XCTAssertEqual(g.block(at: 0x85a3_08d3_243f_6a88), SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
        var s = PhiloxGenerator(seed: 0)
        XCTAssertEqual((0..<4).map { _ in s.nextUInt32() }, [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
    }

    func testStateIsThreeIntegersAndResumesTheSequence() throws {
        var g = PhiloxGenerator(seed: 42, stream: RandomStream.epochShuffle(7))
        for _ in 0..<5 { _ = g.nextUInt32() }
        var restored = PhiloxGenerator(seed: g.seed, stream: g.stream, wordOffset: g.wordOffset)
        XCTAssertEqual(restored, g)
        XCTAssertEqual(restored.wordOffset, 5)
        XCTAssertEqual((0..<9).map { _ in restored.nextUInt32() }, (0..<9).map { _ in g.nextUInt32() })
    }

    func testUniformFloatsAreInRangeWithTheRightMean() {
        var g = PhiloxGenerator(seed: 1)
        var values = [Float](repeating: -1, count: 40_003)
        values.withUnsafeMutableBufferPointer { g.fillUniform($0) }
        XCTAssertTrue(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
        // 40,003 elements use 10,001 blocks; the next draw starts after them.
        XCTAssertEqual(g.wordOffset, 40_004)
    }

    /// A bulk fill equals the sequential draws from the next block boundary, whatever
    /// the chunking across threads (the large fill is split into several chunks).
    func testBulkFillIsThreadCountIndependent() {
        var bulk = PhiloxGenerator(seed: 9, stream: 3)
        _ = bulk.nextUInt32() // mid-block: the fill skips to block 1
        let count = 150_001
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { bulk.fillUniform($0) }
        // 16,384 blocks per chunk: indices on both sides of the chunk boundaries.
        for i in [0, 1, 2, 3, 4, 65_535, 65_536, 65_537, 131_072, 150_000] {
            var serial = PhiloxGenerator(seed: 9, stream: 3, wordOffset: 4 + UInt64(i))
            XCTAssertEqual(values[i], serial.nextFloat(), "element \(i)")
        }
        XCTAssertEqual(bulk.wordOffset, 4 + 150_004)
    }

    func testBoundedIntegersAndShuffleArePermutationsAndSeedDependent() {
        var g = PhiloxGenerator(seed: 5)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<30_000 { counts[g.nextInt(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")

        var a = PhiloxGenerator(seed: 42, stream: RandomStream.epochShuffle(0))
        var b = PhiloxGenerator(seed: 42, stream: RandomStream.epochShuffle(1))
        let pa = a.permutation(100)
        let pb = b.permutation(100)
        XCTAssertEqual(pa.sorted(), Array(0..<100))
        XCTAssertNotEqual(pa, pb)
        var a2 = PhiloxGenerator(seed: 42, stream: RandomStream.epochShuffle(0))
        XCTAssertEqual(a2.permutation(100), pa)
    }

    /// Fisher-Yates over 3 items: each of the 6 orders about equally often.
    func testShuffleIsUniformOverSmallPermutations() {
        var g = PhiloxGenerator(seed: 11)
        var seen: [[Int]: Int] = [:]
        for _ in 0..<12_000 { seen[g.permutation(3), default: 0] += 1 }
        XCTAssertEqual(seen.count, 6)
        XCTAssertTrue(seen.values.allSatisfy { abs($0 - 2000) < 200 }, "\(seen)")
    }
}
