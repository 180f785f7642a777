// Which modules the trainer adapts, against PEFT's own choice on flan-t5-base (Tests/Fixtures/PEFT/
// t5_base_peft_targets.json: the module names PEFT wraps and its state-dict keys, made on torch's meta device).
import Foundation
import PEFT
import T5
import XCTest
@testable import T5Training

final class PEFTTargetModulesTests: XCTestCase {
    struct Facts: Decodable {
        struct Case: Decodable { var target_modules: [String]; var r: Int; var modules: [String] }
        struct IA3: Decodable {
            var target_modules: [String]; var feedforward_modules: [String]; var modules: [String]
            var state_dict: [[StringOrShape]]; var trainable_parameters: Int
        }
        var cases: [Case]
        var ia3: IA3
    }

    /// A state-dict row: [key, shape].
    enum StringOrShape: Decodable {
        case key(String), shape([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .key(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    static func facts() throws -> Facts {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/PEFT/t5_base_peft_targets.json")
        return try JSONDecoder().decode(Facts.self, from: try Data(contentsOf: url))
    }

    static func baseLayout() -> T5Config {
        var config = TinyModel.config(gated: true, tied: false)
        config.numLayers = 12
        config.numDecoderLayers = 12
        return config
    }

    /// A tiny model with flan-t5-base's layout (12 + 12 gated blocks): module names do not depend on the widths,
    /// so the trainer's adapted layers must be PEFT's modules in PEFT's order, with PEFT's key names, and
    /// A [r, in] / B [out, r] shaped from each layer's own weight.
    func testTheTrainerAdaptsPEFTsModulesOnFlanT5BasesLayout() throws {
        let facts = try Self.facts()
        let config = Self.baseLayout()
        let file = try TinyModel.file(config, seed: 3)
        XCTAssertEqual(facts.cases.count, 2)
        for c in facts.cases {
            let model = try T5TrainingModel(config: config, file: file,
                                            mode: .lora(LoRAConfig(rank: c.r, alpha: 16, dropout: 0, targetModules: c.target_modules)))
            XCTAssertEqual(model.adaptedLayers.map(\.path), c.modules, "\(c.target_modules)")
            for layer in model.adaptedLayers {
                XCTAssertEqual(layer.lora!.a.name, "base_model.model.\(layer.path).lora_A.weight")
                XCTAssertEqual(layer.lora!.a.shape, [c.r, layer.inFeatures])
                XCTAssertEqual(layer.lora!.b.shape, [layer.outFeatures, c.r])
            }
        }
        XCTAssertEqual(facts.cases[0].modules.filter { $0.contains("EncDecAttention") }.count, 24)
    }

    /// IA3 with PEFT's T5 defaults (k, v, wo; wo feed-forward): PEFT's modules in its order, its keys, and each
    /// vector oriented as PEFT's ([1, in] on wo, [out, 1] on k and v); on flan-t5-base's widths that is PEFT's
    /// 104,448 trainable parameters (12 × (768 + 768 + 2,048) + 12 × (4 × 768 + 2,048)).
    func testIA3AdaptsPEFTsModulesOnFlanT5BasesLayout() throws {
        let facts = try Self.facts().ia3
        let model = try T5TrainingModel(config: Self.baseLayout(), file: try TinyModel.file(Self.baseLayout(), seed: 3),
                                        mode: .ia3(IA3Config()))
        XCTAssertEqual(IA3Config().targetModules.sorted(), facts.target_modules)
        XCTAssertEqual(IA3Config().feedforwardModules, facts.feedforward_modules)
        XCTAssertEqual(model.adaptedLayers.map(\.path), facts.modules)
        XCTAssertEqual(model.trainableParameters.count, facts.state_dict.count)
        var count = 0
        for (p, row) in zip(model.trainableParameters, facts.state_dict) {
            guard case .key(let key) = row[0], case .shape(let shape) = row[1] else { return XCTFail("row \(row)") }
            XCTAssertEqual(p.name, key)
            XCTAssertEqual(p.shape[0] == 1, shape[0] == 1, "\(key): input or output scaling")
            count += shape.reduce(1, *)
        }
        XCTAssertEqual(count, facts.trainable_parameters)
        XCTAssertEqual(count, 12 * (768 + 768 + 2048) + 12 * (4 * 768 + 2048))
    }
}
