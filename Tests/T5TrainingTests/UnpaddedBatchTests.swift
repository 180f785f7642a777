// Ragged layout, dropping of padding, shift-right of labels into decoder inputs, and rejection of malformed batches.
import XCTest
@testable import T5Training

final class UnpaddedBatchTests: XCTestCase {
    func testConcatenatesAndShiftsLabelsRight() throws {
        let batch = try UnpaddedBatch(sources: [[5, 6, 1], [7, 1]], targets: [[8, 1], [9, 10, 11, 1]], vocabSize: 20)
        XCTAssertEqual(batch.inputIds, [5, 6, 1, 7, 1])
        XCTAssertEqual(batch.sourceOffsets, [0, 3, 5])
        XCTAssertEqual(batch.sourceLengths, [3, 2])
        XCTAssertEqual(batch.labels, [8, 1, 9, 10, 11, 1])
        XCTAssertEqual(batch.targetOffsets, [0, 2, 6])
        XCTAssertEqual(batch.decoderInputIds, [0, 8, 0, 9, 10, 11])
        XCTAssertEqual(batch.labelledTokens, 6)
    }

    func testDropsPaddingOfAHuggingFaceBatch() throws {
        // Row 0: 2 source tokens, labels with an ignored position inside; row 1: full rows.
        let batch = try UnpaddedBatch(inputIds: [5, 6, 0, 7, 8, 9], attentionMask: [1, 1, 0, 1, 1, 1],
                                      labels: [3, -100, 4, -100, 2, 3, 4, 1], batchSize: 2, vocabSize: 20)
        XCTAssertEqual(batch.inputIds, [5, 6, 7, 8, 9])
        XCTAssertEqual(batch.labels, [3, -100, 4, 2, 3, 4, 1])
        XCTAssertEqual(batch.targetLengths, [3, 4])
        XCTAssertEqual(batch.decoderInputIds, [0, 3, 0, 0, 2, 3, 4])
    }

    func testMatchesTheFixtureDecoderInputs() throws {
        let golden = try Fixture.load("gated")
        let padded = try golden.tensors.int64s("decoder_input_ids").map { Int32($0) }
        let width = padded.count / golden.batch.batchSize
        var valid: [Int32] = []
        for b in 0..<golden.batch.batchSize { valid += padded[(b * width)..<(b * width + golden.batch.targetLength(b))] }
        XCTAssertEqual(golden.batch.decoderInputIds, valid)
    }

    func testRejectsBadBatches() {
        XCTAssertThrowsError(try UnpaddedBatch(sources: [[5, 30]], targets: [[1]], vocabSize: 20)) { error in
            XCTAssertTrue("\(error)".contains("source id 30"), "\(error)")
        }
        XCTAssertThrowsError(try UnpaddedBatch(sources: [[5]], targets: [[-5]], vocabSize: 20))
        XCTAssertThrowsError(try UnpaddedBatch(sources: [[5], []], targets: [[1], [1]], vocabSize: 20))
        XCTAssertThrowsError(try UnpaddedBatch(sources: [], targets: [], vocabSize: 20))
        XCTAssertThrowsError(try UnpaddedBatch(inputIds: [1, 2, 3], attentionMask: [1, 0, 1], labels: [1], batchSize: 1,
                                               vocabSize: 20)) { error in
            XCTAssertTrue("\(error)".contains("not right-padded"), "\(error)")
        }
    }

    func testModelRejectsIdsOutsideItsVocabulary() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 1), mode: .full, dropoutRate: 0)
        let batch = try UnpaddedBatch(sources: [[5, 40]], targets: [[1]], vocabSize: 100)
        XCTAssertThrowsError(try model.loss(batch))
    }
}
