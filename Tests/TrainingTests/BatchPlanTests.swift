import Kernels
import XCTest
@testable import Training

final class BatchPlanTests: XCTestCase {
    func plan(_ lengths: [Int], batchSize: Int, gradAccum: Int = 1, epochs: Int = 1, maxSteps: Int = 0, seed: UInt64,
              grouped: Bool = false) throws -> BatchPlan {
        try BatchPlan(lengths: lengths, batchSize: batchSize, gradAccum: gradAccum, epochs: epochs, maxSteps: maxSteps,
                      seed: seed, groupByLength: grouped)
    }

    func testPlainBatchesCoverEveryExampleOncePerEpochAndReshuffle() throws {
        // The reference subset: 1,228 dialogues in batches of 8 → 154 batches, the last of 4.
        let batcher = try plan(Array(repeating: 10, count: 1228), batchSize: 8, epochs: 10, seed: 42)
        XCTAssertEqual(batcher.stepsPerEpoch, 154)
        XCTAssertEqual(batcher.totalSteps, 1540)
        let e0 = batcher.batches(epoch: 0)
        let e1 = batcher.batches(epoch: 1)
        XCTAssertEqual(e0.count, 154)
        XCTAssertEqual(e0.last?.count, 4)
        XCTAssertEqual(e0.joined().sorted(), Array(0..<1228))
        XCTAssertEqual(e1.joined().sorted(), Array(0..<1228))
        XCTAssertNotEqual(e0, e1)
        XCTAssertEqual(e0, batcher.batches(epoch: 0), "same seed and epoch, same order")
        let otherSeed = try plan(Array(repeating: 10, count: 1228), batchSize: 8, epochs: 10, seed: 43)
        XCTAssertNotEqual(otherSeed.batches(epoch: 0), e0)
    }

    func testLengthGroupedBatchesHaveLessPaddingAndStillCoverAll() throws {
        var g = PhiloxGenerator(seed: 7)
        let lengths = (0..<1000).map { _ in 20 + g.nextInt(below: 400) }
        let plain = try plan(lengths, batchSize: 8, seed: 1)
        let grouped = try plan(lengths, batchSize: 8, seed: 1, grouped: true)
        func padding(_ batches: [[Int]]) -> Int {
            batches.reduce(0) { sum, b in
                let longest = b.map { lengths[$0] }.max()!
                return sum + b.reduce(0) { $0 + longest - lengths[$1] }
            }
        }
        let groupedBatches = grouped.batches(epoch: 0)
        XCTAssertEqual(groupedBatches.joined().sorted(), Array(0..<1000))
        XCTAssertEqual(groupedBatches.count, 125)
        XCTAssertLessThan(padding(groupedBatches) * 5, padding(plain.batches(epoch: 0)))
        // Batches are internally sorted longest first, but their order is shuffled.
        for b in groupedBatches { XCTAssertEqual(b.map { lengths[$0] }, b.map { lengths[$0] }.sorted(by: >)) }
        let firstLengths = groupedBatches.map { lengths[$0[0]] }
        XCTAssertNotEqual(firstLengths, firstLengths.sorted(by: >))
    }

    func testBadSettingsAreRefused() throws {
        XCTAssertThrowsError(try plan([], batchSize: 8, seed: 0)) { e in
            XCTAssertEqual("\(e)", "the training set is empty")
        }
        XCTAssertThrowsError(try plan([1], batchSize: 0, seed: 0))
        XCTAssertThrowsError(try plan([1], batchSize: 1, gradAccum: 0, seed: 0))
        XCTAssertThrowsError(try plan([1], batchSize: 1, epochs: 0, seed: 0))
    }

    /// 10 batches with accumulation 4 → steps of 4, 4 and 2 micro-batches per epoch, in batch order.
    func testAccumulatedStepsWalkEveryBatchInOrder() throws {
        let p = try plan(Array(repeating: 1, count: 19), batchSize: 2, gradAccum: 4, epochs: 2, seed: 3)
        XCTAssertEqual(p.stepsPerEpoch, 3)
        XCTAssertEqual(p.totalSteps, 6)
        let steps = (0..<p.totalSteps).map { p.microBatches(ofStep: $0) }
        XCTAssertEqual(steps.map(\.count), [4, 4, 2, 4, 4, 2])
        XCTAssertEqual(steps[0...2].flatMap { $0 }, p.batches(epoch: 0))
        XCTAssertEqual(steps[3...5].flatMap { $0 }, p.batches(epoch: 1))
    }

    /// A max_steps budget ends inside an epoch or runs past the configured epochs, in the same order.
    func testMaxStepsOverridesTheEpochs() throws {
        let lengths = Array(repeating: 1, count: 10)
        let short = try plan(lengths, batchSize: 3, epochs: 1, maxSteps: 2, seed: 5)
        let long = try plan(lengths, batchSize: 3, epochs: 1, maxSteps: 9, seed: 5)
        XCTAssertEqual(short.totalSteps, 2)
        XCTAssertEqual(long.totalSteps, 9)
        XCTAssertEqual(long.epoch(ofStep: 8), 2)
        XCTAssertEqual(long.microBatches(ofStep: 5), long.batches(epoch: 1)[1...1].map { $0 })
        XCTAssertEqual(short.microBatches(ofStep: 1), long.microBatches(ofStep: 1))
    }
}
