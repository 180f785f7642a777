// Padding, shift-right of labels into decoder inputs, and rejection of malformed batches.
import XCTest
@testable import T5Training

final class TrainingBatchTests: XCTestCase {
    func testPadsAndShiftsLabelsRight() throws {
        let batch = try TrainingBatch(sources: [[5, 6, 1], [7, 1]], targets: [[8, 1], [9, 10, 11, 1]], vocabSize: 20)
        XCTAssertEqual(batch.inputIds, [5, 6, 1, 7, 1, 0])
        XCTAssertEqual(batch.sourceLengths, [3, 2])
        XCTAssertEqual(batch.labels, [8, 1, -100, -100, 9, 10, 11, 1])
        XCTAssertEqual(batch.decoderInputIds, [0, 8, 1, 0, 0, 9, 10, 11])
        XCTAssertEqual(batch.labelledTokens, 6)
    }

    func testMatchesTheFixtureDecoderInputs() throws {
        let golden = try Fixture.load("gated")
        XCTAssertEqual(golden.batch.decoderInputIds, try golden.tensors.int64s("decoder_input_ids").map { Int32($0) })
    }

    func testRejectsBadBatches() {
        XCTAssertThrowsError(try TrainingBatch(sources: [[5, 30]], targets: [[1]], vocabSize: 20)) { error in
            XCTAssertTrue("\(error)".contains("source id 30"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingBatch(sources: [[5]], targets: [[-5]], vocabSize: 20))
        XCTAssertThrowsError(try TrainingBatch(sources: [[5], []], targets: [[1], [1]], vocabSize: 20))
        XCTAssertThrowsError(try TrainingBatch(sources: [], targets: [], vocabSize: 20))
        XCTAssertThrowsError(try TrainingBatch(inputIds: [1, 2, 3], attentionMask: [1, 0, 1], labels: [1], batchSize: 1,
                                               vocabSize: 20)) { error in
            XCTAssertTrue("\(error)".contains("not right-padded"), "\(error)")
        }
    }

    func testModelRejectsIdsOutsideItsVocabulary() throws {
        let config = TinyModel.config(gated: true, tied: false)
        let model = try T5TrainingModel(config: config, file: try TinyModel.file(config, seed: 1), mode: .full, dropoutRate: 0)
        let batch = try TrainingBatch(sources: [[5, 40]], targets: [[1]], vocabSize: 100)
        XCTAssertThrowsError(try model.loss(batch))
    }
}
