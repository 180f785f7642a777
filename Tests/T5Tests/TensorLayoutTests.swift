// T5TensorLayout against checkpoints Hugging Face wrote (save_pretrained): the same names and shapes, no more, no fewer.
import Foundation
import SafeTensors
import XCTest
@testable import T5

final class TensorLayoutTests: XCTestCase {
    private func assertLayoutMatches(_ directory: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let config = try T5Config.load(path: directory.appendingPathComponent("config.json").path)
        let model = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        let layout = T5TensorLayout(config: config)
        let expected = Dictionary(uniqueKeysWithValues: model.names.map { ($0, model.tensors[$0]!.shape) })
        let described = Dictionary(layout.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in
            XCTFail("a tensor is listed twice", file: file, line: line); return a })
        XCTAssertEqual(described.count, layout.tensors.count, file: file, line: line)
        XCTAssertEqual(Set(described.keys).symmetricDifference(expected.keys), [], "names differ", file: file, line: line)
        XCTAssertEqual(described, expected, file: file, line: line)
        // the linears are the 2-d weights other than the embedding, lm_head and the position biases
        let linearWeights = Set(layout.linears.map(\.weight.name))
        let others = Set(expected.keys.filter { expected[$0]!.count == 2 && $0 != "shared.weight" && $0 != "lm_head.weight"
            && !$0.hasSuffix("relative_attention_bias.weight") })
        XCTAssertEqual(linearWeights, others, file: file, line: line)
        XCTAssertEqual(layout.lmHead == nil, config.tieWordEmbeddings, file: file, line: line)
    }

    func testGatedUntiedCheckpoint() throws { try assertLayoutMatches(Fixtures.directory.appendingPathComponent("tiny")) }

    func testReluTiedCheckpoint() throws { try assertLayoutMatches(Fixtures.directory.appendingPathComponent("tiny_tied_relu")) }

    /// The inference engine binds every linear of the layout under its module path (what LoRA targets name).
    func testEngineBindsEveryLinearByModulePath() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        let layout = T5TensorLayout(config: model.config)
        XCTAssertEqual(Set(model.weights.projections.keys), Set(layout.linears.map(\.module)))
        for linear in layout.linears {
            let p = model.weights.projections[linear.module]!
            XCTAssertEqual([p.outFeatures, p.inFeatures], linear.weight.shape, linear.module)
        }
    }
}
