import XCTest
import Kernels
import PEFT
import SafeTensors
@testable import T5

/// A PEFT adapter (r 8, alpha 16, q and v) applied unmerged, and merged into the base weights (`mergeLoRA`, what
/// `train-lora --merge` writes), against PEFT's logits and greedy output.
final class AdapterParityTests: XCTestCase {
    private func adaptedModel() throws -> T5Model {
        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        let adapter = try LoRAAdapter.load(directory: Fixtures.path("adapter"))
        XCTAssertEqual(adapter.config.rank, 8)
        XCTAssertEqual(adapter.config.scale(of: "encoder.block.0.layer.0.SelfAttention.q"), 2)
        XCTAssertEqual(adapter.updates.count, 12) // 2 encoder layers × (q, v) + 2 decoder layers × (self, cross) × (q, v)
        try model.apply(adapter)
        return model
    }

    /// The tiny model with the adapter folded into its weights, as a model folder of its own.
    private func mergedModel() throws -> T5Model {
        let adapter = try LoRAAdapter.load(directory: Fixtures.path("adapter"))
        let base = try SafeTensorsFile(path: Fixtures.path("tiny/model.safetensors"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-merged-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in base.names {
            var values = try base.floats(name)
            if name.hasSuffix(".weight"), let u = adapter.updates[String(name.dropLast(".weight".count))] {
                values.withUnsafeMutableBufferPointer { w in
                    mergeLoRA(into: w.baseAddress!, a: u.a, b: u.b, rank: u.rank, inFeatures: u.inFeatures,
                              outFeatures: u.outFeatures, scale: u.scale)
                }
            }
            try writer.add(name, shape: try base.info(name).shape, floats: values)
        }
        try writer.write(to: directory.appendingPathComponent("model.safetensors").path)
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny/config.json"),
                                         toPath: directory.appendingPathComponent("config.json").path)
        return try T5Model.load(directory: directory.path)
    }

    private func checkLogits(_ model: T5Model) throws {
        let batch = Fixtures.section("batch")
        let encoder = try model.encode(Fixtures.ids(batch["sources"]))
        let logits = try model.logits(encoder: encoder, decoderInput: Fixtures.ids(batch["decoder_input"]))
        let diff = maxAbsDifference(logits.pointer, try Fixtures.tensors.floats("lora.logits"))
        XCTAssertLessThan(diff.value, 1e-4, "max |diff| at \(diff.index)")
    }

    private func checkGreedy(_ model: T5Model) throws {
        let sources = Fixtures.ids(Fixtures.section("generation")["sources"])
        let expected = Fixtures.section("lora")["greedy"] as! [Any]
        let generator = Generator(model: model)
        let settings = GenerationSettings(maxNewTokens: 20)
        for (index, batch) in expected.enumerated() {
            let chunk = Array(sources[(index * 8)..<(index * 8 + 8)])
            XCTAssertEqual(generator.huggingFaceLayout(try generator.generate(chunk, settings: settings), settings: settings),
                           Fixtures.ids(batch), "batch \(index)")
        }
    }

    func testUnmergedAdapterMatchesPEFT() throws {
        let model = try adaptedModel()
        try checkLogits(model)
        try checkGreedy(model)
    }

    func testMergedAdapterMatchesPEFT() throws {
        let model = try mergedModel()
        try checkLogits(model)
        try checkGreedy(model)
    }

    func testAdapterForAnotherBaseIsRejected() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny_tied_relu"))
        let adapter = try LoRAAdapter.load(directory: Fixtures.path("adapter"))
        XCTAssertThrowsError(try model.apply(adapter)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("another base") || text.contains("does not exist"), text)
        }
        XCTAssertTrue(model.weights.projections.values.allSatisfy { $0.lora == nil })
    }

    func testRSLoRAScaleAndCorruptAdapterDirectory() throws {
        let update = LoRAAdapter.Update(a: [1], b: [1], rank: 4, inFeatures: 1, outFeatures: 1, scale: 2)
        XCTAssertEqual(LoRAAdapter(config: LoRAConfig(rank: 4, alpha: 8, targetModules: ["q"], useRSLoRA: true),
                                   updates: ["q": update]).config.scale(of: "q"), 4)
        XCTAssertEqual(LoRAAdapter(config: LoRAConfig(rank: 4, alpha: 8, targetModules: ["q"]),
                                   updates: ["q": update]).config.scale(of: "q"), 2)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-bad-adapter-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Fixtures.path("adapter/adapter_config.json"),
                                         toPath: directory.appendingPathComponent("adapter_config.json").path)
        let weights = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("adapter/adapter_model.safetensors")))
        try weights.prefix(weights.count / 2).write(to: directory.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertThrowsError(try LoRAAdapter.load(directory: directory.path)) { error in
            XCTAssertTrue(String(describing: error).contains("adapter_model.safetensors: tensor"), String(describing: error))
        }
    }

    /// Issue 33, item 3: an adapter holding NaN is refused when read, naming the file; one whose values are
    /// finite but overflow (3e38) stops generation with one error instead of empty summaries.
    func testNonFiniteAdaptersAreErrorsNotEmptySummaries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-nan-adapter-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Fixtures.path("adapter/adapter_config.json"),
                                         toPath: directory.appendingPathComponent("adapter_config.json").path)
        let original = try SafeTensorsFile(path: Fixtures.path("adapter/adapter_model.safetensors"))
        var writer = SafeTensorsWriter()
        for (i, name) in original.names.sorted().enumerated() {
            var values = try original.floats(name)
            if i == 0 { values[values.count / 2] = .nan }
            try writer.add(name, shape: original.tensors[name]!.shape, floats: values)
        }
        try writer.write(to: directory.appendingPathComponent("adapter_model.safetensors").path)
        XCTAssertThrowsError(try LoRAAdapter.load(directory: directory.path)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("adapter_model.safetensors") && text.contains("not a finite number"), text)
        }

        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        let good = try LoRAAdapter.load(directory: Fixtures.path("adapter"))
        let huge = good.updates.mapValues { u in
            LoRAAdapter.Update(a: u.a.map { _ in 3e38 }, b: u.b.map { _ in 3e38 }, rank: u.rank, inFeatures: u.inFeatures,
                               outFeatures: u.outFeatures, scale: u.scale)
        }
        try model.apply(LoRAAdapter(config: good.config, updates: huge))
        let sources = Array(Fixtures.ids(Fixtures.section("generation")["sources"]).prefix(2))
        for beams in [1, 2] {
            XCTAssertThrowsError(try Generator(model: model).generate(sources, settings: GenerationSettings(numBeams: beams, maxNewTokens: 5))) { error in
                XCTAssertTrue(String(describing: error).contains("not finite"), String(describing: error))
            }
        }
    }

    /// PEFT's other two target_modules forms, made by PEFT (scripts/fixtures/t5_target_rule_adapters.py): dotted
    /// suffixes with rsLoRA, and one regular expression that PEFT full-matches; and per-module r and alpha
    /// (rank_pattern, alpha_pattern): the same modules, ranks, scales and logits.
    func testSuffixAndRegexTargetAdaptersMatchPEFT() throws {
        let batch = Fixtures.section("batch")
        let expected = try SafeTensorsFile(path: Fixtures.path("target_rule_logits.safetensors"))
        for (name, modules, scale) in [("suffix", 10, Float(4)), ("regex", 6, Float(1)), ("pattern", 16, Float(2))] {
            let model = try T5Model.load(directory: Fixtures.path("tiny"))
            let adapter = try LoRAAdapter.load(directory: Fixtures.path("adapter_\(name)"))
            XCTAssertEqual(adapter.updates.count, modules, name)
            let c = adapter.config
            XCTAssertEqual(loraScale(rank: c.rank, alpha: c.alpha, useRSLoRA: c.useRSLoRA), scale, name)
            if name == "pattern" {
                let crossQ = try XCTUnwrap(adapter.updates["decoder.block.1.layer.1.EncDecAttention.q"])
                XCTAssertEqual([crossQ.rank, Int(crossQ.scale)], [2, 4], "rank_pattern decoder.*\\.q: r 2, alpha 8")
                let crossV = try XCTUnwrap(adapter.updates["decoder.block.0.layer.1.EncDecAttention.v"])
                XCTAssertEqual([crossV.rank, Int(crossV.scale)], [4, 4], "alpha_pattern EncDecAttention.v: r 4, alpha 16")
                let wo = try XCTUnwrap(adapter.updates["encoder.block.0.layer.1.DenseReluDense.wo"])
                XCTAssertEqual(wo.rank, 6)
                XCTAssertEqual(wo.scale, 8 / 6)
                XCTAssertEqual(adapter.updates["encoder.block.0.layer.0.SelfAttention.q"]?.rank, 4, "encoder q: no pattern")
            }
            try model.apply(adapter)
            let encoder = try model.encode(Fixtures.ids(batch["sources"]))
            let logits = try model.logits(encoder: encoder, decoderInput: Fixtures.ids(batch["decoder_input"]))
            let diff = maxAbsDifference(logits.pointer, try expected.floats("\(name).logits"))
            XCTAssertLessThan(diff.value, 1e-4, "\(name): max |diff| at \(diff.index)")
        }
        // A module the regex does not full-match is refused (PEFT would not have made it).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-regex-adapter-\(UUID())")
        try FileManager.default.copyItem(atPath: Fixtures.path("adapter_regex"), toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("adapter_config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: #"".*decoder.*\\.(k|wi_0)""#, with: #"".*decoder.*\\.k""#)
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LoRAAdapter.load(directory: directory.path)) { error in
            XCTAssertTrue(String(describing: error).contains("DenseReluDense.wi_0' is not among target_modules"), "\(error)")
        }
    }
}
