import XCTest
@testable import LoRA

final class AdapterTensorLayoutTests: XCTestCase {
    let modules = [AdaptedModule(name: "encoder.block.0.layer.0.SelfAttention.q", inFeatures: 8, outFeatures: 8),
                   AdaptedModule(name: "decoder.block.0.layer.1.EncDecAttention.v", inFeatures: 8, outFeatures: 6)]

    func testInitialTensorsFollowPEFTOrderAndAreSeeded() {
        let layout = AdapterTensorLayout(modules: modules, rank: 2)
        let tensors = layout.initialTensors(seed: 42)
        XCTAssertEqual(tensors.map(\.name), layout.tensors.map(\.name))
        XCTAssertEqual(tensors.map(\.shape), [[2, 8], [8, 2], [2, 8], [6, 2]])
        XCTAssertEqual(layout.parameterCount, tensors.reduce(0) { $0 + $1.values.count })
        XCTAssertTrue(tensors[1].values.allSatisfy { $0 == 0 } && tensors[3].values.allSatisfy { $0 == 0 })
        XCTAssertNotEqual(tensors[0].values, tensors[2].values)
        XCTAssertEqual(layout.initialTensors(seed: 42), tensors)
        XCTAssertNotEqual(layout.initialTensors(seed: 43)[0].values, tensors[0].values)
    }

    func testMatchAcceptsPEFTKeysAndRejectsOtherModels() throws {
        let layout = AdapterTensorLayout(modules: modules, rank: 2)
        let found = layout.tensors.reversed().map { (name: $0.name, shape: $0.shape) }
        XCTAssertEqual(try layout.match(found: found), layout.tensors.map(\.name))
        let withAdapterName = layout.tensors.map { (name: $0.name.replacingOccurrences(of: ".weight", with: ".default.weight"), shape: $0.shape) }
        XCTAssertEqual(try layout.match(found: withAdapterName), withAdapterName.map(\.name))

        var wrongRank = Array(found)
        wrongRank[0].shape = [6, 4]
        XCTAssertThrowsError(try layout.match(found: wrongRank, path: "a/adapter_model.safetensors")) { e in
            XCTAssertTrue("\(e)".hasPrefix("a/adapter_model.safetensors: adapter tensor"), "\(e)")
            XCTAssertTrue("\(e)".contains("another model or rank"))
        }
        XCTAssertThrowsError(try layout.match(found: Array(found.dropFirst()))) { e in XCTAssertTrue("\(e)".contains("lacks")) }
        XCTAssertThrowsError(try layout.match(found: found + [(name: "base_model.model.x.lora_A.weight", shape: [2, 2])])) { e in
            XCTAssertTrue("\(e)".contains("unexpected"))
        }
    }
}
