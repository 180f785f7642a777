// The two T5 engines (inference: KV cache, padded decoder rows; training: unpadded rows, saved activations)
// give the same teacher-forced logits for the same checkpoint and tokens.
import Kernels
import Foundation
import SafeTensors
import T5
import TestSupport
import XCTest
@testable import T5Training

final class EngineParityTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/T5")

    private func assertSameLogits(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = Self.fixtures.appendingPathComponent(name).path
        let inference = try T5Model.load(directory: directory)
        let config = inference.config
        let training = try T5TrainingModel(config: config, file: SafeTensorsFile(path: directory + "/model.safetensors"),
                                           mode: .full, dropoutRate: 0)
        // ragged lengths, so padding in the inference engine and its absence in the training engine both matter
        var rng = SplitMix64(seed: 7)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in 2 + Int32(rng.next() % UInt64(config.vocabSize - 2)) } }
        let sources = [19, 4, 33].map(tokens), targets = [6, 11, 1].map(tokens)
        let batch = try UnpaddedBatch(sources: sources, targets: targets, vocabSize: config.vocabSize,
                                      padTokenId: config.padTokenId, decoderStartTokenId: config.decoderStartTokenId)
        let trained = try training.logits(batch)

        let decoderInput = (0..<sources.count).map { b in
            Array(batch.decoderInputIds[batch.targetOffsets[b]..<batch.targetOffsets[b + 1]])
        }
        let padded = try inference.logits(encoder: inference.encode(sources), decoderInput: decoderInput)
        let vocab = config.vocabSize, width = decoderInput.map(\.count).max()!
        var worst: Float = 0, largest: Float = 0
        for b in 0..<sources.count {
            for t in 0..<batch.targetLength(b) {
                for v in 0..<vocab {
                    let a = trained[(batch.targetOffsets[b] + t) * vocab + v], c = padded.pointer[(b * width + t) * vocab + v]
                    worst = max(worst, abs(a - c).isNaN ? .infinity : abs(a - c))
                    largest = max(largest, abs(c))
                }
            }
        }
        XCTAssertGreaterThan(largest, 0, file: file, line: line)
        XCTAssertLessThan(worst, 1e-5 * max(1, largest), "max |Δlogit| \(worst) of max |logit| \(largest)", file: file, line: line)
    }

    func testGatedUntiedModel() throws { try assertSameLogits("tiny") }

    func testReluTiedModel() throws { try assertSameLogits("tiny_tied_relu") }
}
