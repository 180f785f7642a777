import Foundation
import PEFT
import SafeTensors
import XCTest
@testable import T5

/// The other PEFT methods' adapters, saved by PEFT for the tiny model (scripts/fixtures/t5_peft_methods_fixture.py):
/// loaded by `PEFTAdapter`, applied unmerged, they give PEFT's logits on the padded batch and transformers + PEFT's
/// greedy and beam outputs; merged into the weights (what `train-lora` with `train.merge` writes), PEFT's merged
/// model's greedy outputs.
final class PEFTMethodGenerationTests: XCTestCase {
    /// peft_methods.* (IA3, LoHa, LoKr) and prompt_methods.* (prompt tuning, P-tuning, prefix tuning).
    nonisolated(unsafe) static let expected: [String: Any] = {
        var all: [String: Any] = [:]
        for name in ["peft_methods", "prompt_methods"] {
            let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("\(name).json")))
            all.merge(try! JSONSerialization.jsonObject(with: data) as! [String: Any]) { a, _ in a }
        }
        return all
    }()
    static let logits = try! SafeTensorsFile(path: Fixtures.path("peft_methods.safetensors"))
    static let promptLogits = try! SafeTensorsFile(path: Fixtures.path("prompt_methods.safetensors"))

    func adapted(_ method: String) throws -> (T5Model, PEFTAdapter) {
        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        let adapter = try PEFTAdapter.load(directory: Fixtures.path("adapter_\(method)"))
        try model.apply(adapter)
        return (model, adapter)
    }

    /// The tiny model with `adapter` folded into its weights, as a model folder of its own.
    func merged(_ adapter: PEFTAdapter) throws -> T5Model {
        let base = try SafeTensorsFile(path: Fixtures.path("tiny/model.safetensors"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-merged-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        var folded = 0
        for name in base.names {
            var values = try base.floats(name)
            let shape = try base.info(name).shape
            let module = name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) : ""
            switch adapter {
            case .ia3(let a):
                if let u = a.updates[module] {
                    values.withUnsafeMutableBufferPointer { w in
                        mergeIA3(into: w.baseAddress!, scaling: u.scaling, inFeatures: shape[1], outFeatures: shape[0],
                                 feedForward: u.feedForward)
                    }
                    folded += 1
                }
            case .lycoris(let a):
                if let u = a.updates[module] {
                    for i in values.indices { values[i] += u.delta[i] }
                    folded += 1
                }
            case .lora: XCTFail("AdapterParityTests merges LoRA")
            case .prompt, .prefix: XCTFail("a prompt or prefix is not merged")
            }
            try writer.add(name, shape: shape, floats: values)
        }
        XCTAssertEqual(folded, adapter.modules.count)
        try writer.write(to: directory.appendingPathComponent("model.safetensors").path)
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny/config.json"),
                                         toPath: directory.appendingPathComponent("config.json").path)
        return try T5Model.load(directory: directory.path)
    }

    func checkMethod(_ method: String, modules: Int) throws {
        let (model, adapter) = try adapted(method)
        XCTAssertEqual(adapter.modules.count, modules)
        let reference = Self.expected[method] as! [String: Any]
        XCTAssertEqual(reference["logits_differ_from_base"] as? Bool, true, "the fixture tells the adapter apart")
        let batch = Fixtures.section("batch")
        let encoder = try model.encode(Fixtures.ids(batch["sources"]))
        let logits = try model.logits(encoder: encoder, decoderInput: Fixtures.ids(batch["decoder_input"]))
        let file = Self.logits.tensors["\(method).logits"] == nil ? Self.promptLogits : Self.logits
        let diff = maxAbsDifference(logits.pointer, try file.floats("\(method).logits"))
        XCTAssertLessThan(diff.value, 1e-4, "\(method) logits: max |diff| at \(diff.index)")
        try checkGeneration("greedy", model: model, expectedOutputs: reference["greedy"] as? [Any])
        try checkGeneration("beam", model: model, expectedOutputs: reference["beam"] as? [Any])
        if let mergedGreedy = reference["merged_greedy"] as? [Any] {
            try checkGeneration("greedy", model: try merged(adapter), expectedOutputs: mergedGreedy)
        }
    }

    /// PEFT's T5 defaults: k and v outputs scaled, wo's input (a feed-forward module): 2 × 3 + 2 × 5 modules.
    func testIA3MatchesPEFT() throws {
        try checkMethod("ia3", modules: 16)
        guard case .ia3(let adapter) = try PEFTAdapter.load(directory: Fixtures.path("adapter_ia3")) else { return XCTFail("not IA3") }
        let wo = try XCTUnwrap(adapter.updates["decoder.block.1.layer.2.DenseReluDense.wo"])
        XCTAssertTrue(wo.feedForward)
        XCTAssertEqual(wo.scaling.count, 128, "d_ff: wo's input")
        XCTAssertEqual(adapter.updates["encoder.block.0.layer.0.SelfAttention.k"]?.scaling.count, 64)
    }

    /// r 4, alpha 8 on q, v and wo.
    func testLoHaMatchesPEFT() throws { try checkMethod("loha", modules: 16) }

    /// r 4, alpha 8 on q, v (full lokr_w1, lokr_w2) and wo (lokr_w2_a, lokr_w2_b).
    func testLoKrMatchesPEFT() throws {
        try checkMethod("lokr", modules: 16)
        let lokrFiles = Fixtures.path("adapter_lokr/adapter_model.safetensors")
        let names = Set(try SafeTensorsFile(path: lokrFiles).names.map { String($0.split(separator: ".").last!) })
        XCTAssertEqual(names, ["lokr_w1", "lokr_w2", "lokr_w2_a", "lokr_w2_b"])
    }

    /// Prompt tuning and P-tuning (PEFT saved the MLP's output): the first 5 of the 10 saved rows in front of every
    /// source, logits, greedy and beam as transformers + PEFT give them.
    func testPromptTuningMatchesPEFT() throws { try checkMethod("prompt_tuning", modules: 0) }

    func testPTuningMatchesPEFT() throws {
        try checkMethod("p_tuning", modules: 0)
        guard case .prompt(let p) = try PEFTAdapter.load(directory: Fixtures.path("adapter_p_tuning")) else { return XCTFail("not a prompt") }
        XCTAssertEqual(p.config.encoderHiddenSize, 32)
        XCTAssertEqual(p.embeddings.count, 10 * 64)
    }

    /// Prefix tuning: the reference greedy ids are PEFT's forward pass decoded greedily (PEFT's generate ignores the
    /// prefix on T5: the fixture records that too), the beam ids transformers' beam search over PEFT's full forward;
    /// and the logits of sources exactly as long as the prefix (huggingface/peft#565).
    func testPrefixTuningMatchesPEFTsForwardPass() throws {
        try checkMethod("prefix_tuning", modules: 0)
        let reference = Self.expected["prefix_tuning"] as! [String: Any]
        XCTAssertEqual(reference["generate_ignores_prefix"] as? Bool, true)
        let (model, _) = try adapted("prefix_tuning")
        let source5 = reference["source5"] as! [String: Any]
        let encoder = try model.encode(Fixtures.ids(source5["input_ids"]))
        let logits = try model.logits(encoder: encoder, decoderInput: Fixtures.ids(source5["decoder_input_ids"]))
        let diff = maxAbsDifference(logits.pointer, try Self.promptLogits.floats("prefix_tuning.logits_source5"))
        XCTAssertLessThan(diff.value, 1e-4, "sources of n tokens: max |diff| at \(diff.index)")
    }

    /// A LoRA loader refuses another method's directory with one line naming the file, and an IA3 vector of the wrong
    /// length is refused before anything is attached.
    func testMismatchedMethodsAndShapesAreOneErrorLine() throws {
        XCTAssertThrowsError(try LoRAAdapter.load(directory: Fixtures.path("adapter_ia3"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("adapter_config.json") && text.contains("IA3 adapter, not LoRA"), text)
        }
        guard case .ia3(let good) = try PEFTAdapter.load(directory: Fixtures.path("adapter_ia3")) else { return XCTFail("not IA3") }
        var updates = good.updates
        updates["encoder.block.0.layer.0.SelfAttention.k"] = IA3Adapter.Update(scaling: [1, 2, 3], feedForward: false)
        let model = try T5Model.load(directory: Fixtures.path("tiny"))
        XCTAssertThrowsError(try model.apply(IA3Adapter(config: good.config, updates: updates))) { error in
            XCTAssertTrue("\(error)".contains("has an ia3_l of 3 values but its output is 64 wide"), "\(error)")
        }
        XCTAssertTrue(model.weights.projections.values.allSatisfy { $0.adapter == nil })
    }

    /// A LoKr file whose factor does not have the shape PEFT gives its layer, and a LoHa file missing a factor, are
    /// refused with one line naming adapter_model.safetensors.
    func testLoHaAndLoKrFilesThatDoNotFitAreOneErrorLine() throws {
        for (method, module, replace, expected) in [
            ("lokr", "encoder.block.0.layer.0.SelfAttention.q", "lokr_w2", "has lokr_w1 [8, 8], lokr_w2 [4, 16], expected"),
            ("loha", "decoder.block.1.layer.1.EncDecAttention.v", "hada_w2_b", "not one whole LOHA adapter"),
        ] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-\(method)-\(UUID())")
            try FileManager.default.copyItem(atPath: Fixtures.path("adapter_\(method)"), toPath: directory.path)
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = directory.appendingPathComponent("adapter_model.safetensors")
            let original = try SafeTensorsFile(path: url.path)
            var writer = SafeTensorsWriter(metadata: ["format": "pt"])
            for name in original.names.sorted() {
                let values = try original.floats(name), shape = original.tensors[name]!.shape
                if name == "base_model.model.\(module).\(replace)" {
                    if method == "lokr" { try writer.add(name, shape: [4, 16], floats: values) }  // 64 values, another shape
                    continue
                }
                try writer.add(name, shape: shape, floats: values)
            }
            try writer.write(to: url.path)
            XCTAssertThrowsError(try PEFTAdapter.load(directory: directory.path)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("adapter_model.safetensors") && text.contains(module) && text.contains(expected), text)
                XCTAssertFalse(text.contains("\n"))
            }
        }
    }

    /// A prompt table of the wrong height is refused naming adapter_model.safetensors; a prompt or prefix made for
    /// another base (the tied ReLU model: d_model 32, 1 decoder layer) is refused before it is attached.
    func testPromptAndPrefixFilesThatDoNotFitAreOneErrorLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-prompt-\(UUID())")
        try FileManager.default.copyItem(atPath: Fixtures.path("adapter_prompt_tuning"), toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add("prompt_embeddings", shape: [9, 64], floats: [Float](repeating: 0.5, count: 9 * 64))
        try writer.write(to: directory.appendingPathComponent("adapter_model.safetensors").path)
        XCTAssertThrowsError(try PEFTAdapter.load(directory: directory.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("adapter_model.safetensors: prompt_embeddings is [9, 64], expected [10, 64]"), text)
        }
        for method in ["prompt_tuning", "prefix_tuning"] {
            let other = try T5Model.load(directory: Fixtures.path("tiny_tied_relu"))
            XCTAssertThrowsError(try other.apply(try PEFTAdapter.load(directory: Fixtures.path("adapter_\(method)")))) { error in
                XCTAssertTrue("\(error)".contains("trained for another base"), "\(error)")
            }
            XCTAssertNil(other.encoderPrompt)
            XCTAssertTrue(other.decoderPrefix.isEmpty)
        }
    }
}
