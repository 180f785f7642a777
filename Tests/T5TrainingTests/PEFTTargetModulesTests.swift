// Which modules the trainer adapts, against PEFT's own choice on flan-t5-base (Tests/Fixtures/PEFT/
// t5_base_peft_targets.json: the module names PEFT wraps and its state-dict keys, made on torch's meta device).
import Foundation
import PEFT
import XCTest
@testable import T5Training

final class PEFTTargetModulesTests: XCTestCase {
    struct Facts: Decodable {
        struct Case: Decodable { var target_modules: [String]; var r: Int; var modules: [String] }
        var cases: [Case]
    }

    /// A tiny model with flan-t5-base's layout (12 + 12 gated blocks): module names do not depend on the widths,
    /// so the trainer's adapted layers must be PEFT's modules in PEFT's order, with PEFT's key names, and
    /// A [r, in] / B [out, r] shaped from each layer's own weight.
    func testTheTrainerAdaptsPEFTsModulesOnFlanT5BasesLayout() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/PEFT/t5_base_peft_targets.json")
        let facts = try JSONDecoder().decode(Facts.self, from: try Data(contentsOf: url))
        var config = TinyModel.config(gated: true, tied: false)
        config.numLayers = 12
        config.numDecoderLayers = 12
        let file = try TinyModel.file(config, seed: 3)
        XCTAssertEqual(facts.cases.count, 2)
        for c in facts.cases {
            let model = try T5TrainingModel(config: config, file: file,
                                            mode: .lora(LoRAConfig(rank: c.r, alpha: 16, dropout: 0, targetModules: c.target_modules)))
            XCTAssertEqual(model.loraLayers.map(\.path), c.modules, "\(c.target_modules)")
            for layer in model.loraLayers {
                XCTAssertEqual(layer.lora!.a.name, "base_model.model.\(layer.path).lora_A.weight")
                XCTAssertEqual(layer.lora!.a.shape, [c.r, layer.inFeatures])
                XCTAssertEqual(layer.lora!.b.shape, [layer.outFeatures, c.r])
            }
        }
        XCTAssertEqual(facts.cases[0].modules.filter { $0.contains("EncDecAttention") }.count, 24)
    }
}
