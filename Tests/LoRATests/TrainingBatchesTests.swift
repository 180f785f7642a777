import XCTest
@testable import LoRA

final class TrainingBatchesTests: XCTestCase {
    func testPlainBatchesCoverEveryExampleOncePerEpochAndReshuffle() throws {
        // The reference subset: 1,228 dialogues in batches of 8 → 154 batches, the last of 4.
        let batcher = try TrainingBatcher(exampleLengths: Array(repeating: 10, count: 1228),
                                          options: .init(batchSize: 8), seed: 42, epochs: 10)
        XCTAssertEqual(batcher.batchesPerEpoch, 154)
        XCTAssertEqual(batcher.totalOptimizerSteps, 1540)
        let e0 = batcher.batches(epoch: 0)
        let e1 = batcher.batches(epoch: 1)
        XCTAssertEqual(e0.count, 154)
        XCTAssertEqual(e0.last?.count, 4)
        XCTAssertEqual(e0.joined().sorted(), Array(0..<1228))
        XCTAssertEqual(e1.joined().sorted(), Array(0..<1228))
        XCTAssertNotEqual(e0, e1)
        XCTAssertEqual(e0, batcher.batches(epoch: 0), "same seed and epoch, same order")
        let otherSeed = try TrainingBatcher(exampleLengths: Array(repeating: 10, count: 1228),
                                            options: .init(batchSize: 8), seed: 43, epochs: 10)
        XCTAssertNotEqual(otherSeed.batches(epoch: 0), e0)
    }

    func testLengthGroupedBatchesHaveLessPaddingAndStillCoverAll() throws {
        var g = PhiloxGenerator(seed: 7)
        let lengths = (0..<1000).map { _ in 20 + g.nextInt(below: 400) }
        let plain = try TrainingBatcher(exampleLengths: lengths, options: .init(batchSize: 8), seed: 1, epochs: 1)
        let grouped = try TrainingBatcher(exampleLengths: lengths, options: .init(batchSize: 8, groupByLength: true, megaBatchFactor: 50),
                                          seed: 1, epochs: 1)
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

    func testDropLastAndValidation() throws {
        let b = try TrainingBatcher(exampleLengths: Array(repeating: 1, count: 10), options: .init(batchSize: 4, dropLast: true),
                                    seed: 0, epochs: 1)
        XCTAssertEqual(b.batches(epoch: 0).map(\.count), [4, 4])
        XCTAssertThrowsError(try TrainingBatcher(exampleLengths: [], options: .init(batchSize: 8), seed: 0, epochs: 1)) { e in
            XCTAssertEqual("\(e)", "the training set is empty")
        }
        XCTAssertThrowsError(try TrainingBatcher(exampleLengths: [1], options: .init(batchSize: 0), seed: 0, epochs: 1))
        XCTAssertThrowsError(try TrainingBatcher(exampleLengths: [1], options: .init(batchSize: 1, gradientAccumulationSteps: 0),
                                                 seed: 0, epochs: 1))
    }

    /// 10 batches with accumulation 4 → updates of 4, 4 and 2 micro-batches per epoch.
    func testAccumulationPlansWalkEveryBatchInOrder() throws {
        let batcher = try TrainingBatcher(exampleLengths: Array(repeating: 1, count: 19),
                                          options: .init(batchSize: 2, gradientAccumulationSteps: 4), seed: 3, epochs: 2)
        XCTAssertEqual(batcher.batchesPerEpoch, 10)
        XCTAssertEqual(batcher.optimizerStepsPerEpoch, 3)
        var position = DataPosition.start
        var plans: [OptimizerStepPlan] = []
        while let plan = try batcher.plan(at: position) {
            XCTAssertEqual(plan.optimizerStep, plans.count)
            plans.append(plan)
            position = plan.positionAfter
        }
        XCTAssertEqual(plans.map(\.microBatches.count), [4, 4, 2, 4, 4, 2])
        XCTAssertEqual(plans.map(\.epoch), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(plans.map(\.firstMicroStep), [0, 4, 8, 10, 14, 18])
        XCTAssertEqual(plans[0...2].flatMap(\.microBatches), batcher.batches(epoch: 0))
        XCTAssertEqual(plans[3...5].flatMap(\.microBatches), batcher.batches(epoch: 1))
        XCTAssertEqual(position, DataPosition(epoch: 2, batchInEpoch: 0, optimizerStep: 6, microStep: 20))
        // A position another run could not reach is refused.
        XCTAssertThrowsError(try batcher.plan(at: DataPosition(epoch: 0, batchInEpoch: 2, optimizerStep: 0, microStep: 2)))
        XCTAssertThrowsError(try batcher.plan(at: DataPosition(epoch: 0, batchInEpoch: 4, optimizerStep: 1, microStep: 5)))
    }
}
