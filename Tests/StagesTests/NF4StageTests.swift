import Foundation
import JSON
import Kernels
import PEFT
import SafeTensors
import XCTest
@testable import Stages

/// QLoRA through the stages: `weights_dtype: nf4` trains and generates on the 4-bit base, its key holds the
/// quantization settings (and only then), it gives other bytes than bf16, recomputes the same bytes, and a bad
/// block size or a full fine-tune on it is one error line naming the key.
final class NF4StageTests: XCTestCase {
    static let nf4 = ["--set", "train.weights_dtype=nf4", "--set", "generation.weights_dtype=nf4"]

    func testTrainAndGenerateOnTheFourBitBase() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.epochs=1"])
        let bf16 = try TrainLoRAStage.run(try p.options(args), root: p.root)
        let bf16Adapter = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
        let bf16Manifest = try JSONValue.parse(Data(contentsOf: p.url("data/adapter/train-lora.manifest.json")))
        XCTAssertNil(bf16Manifest["params"]?["quantization.blocksize"], "bf16 does not read (or key) the quantization settings")

        let nf4Args = args + Self.nf4
        let nf4 = try TrainLoRAStage.run(try p.options(nf4Args), root: p.root)
        XCTAssertNotEqual(nf4.key, bf16.key)
        let nf4Adapter = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
        XCTAssertNotEqual(nf4Adapter, bf16Adapter, "the 4-bit base must change the trained bytes")
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        for name in adapter.names { XCTAssertTrue(try adapter.floats(name).allSatisfy(\.isFinite), name) }
        let manifest = try JSONValue.parse(Data(contentsOf: p.url("data/adapter/train-lora.manifest.json")))
        XCTAssertEqual(manifest["params"]?["train.weights_dtype"], .string("nf4"))
        XCTAssertEqual(manifest["params"]?["quantization.blocksize"], .int(64))
        XCTAssertEqual(manifest["params"]?["quantization.double_quant"], .bool(true))
        // PEFT's adapter format is the same whatever the base: a LoRA adapter
        XCTAssertEqual(try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json")).method.peftType, "LORA")

        XCTAssertNoThrow(try TrainLoRAStage.run(try p.options(nf4Args + ["--verify"]), root: p.root), "recomputes the same bytes")
        let single = try TrainLoRAStage.run(try p.options(nf4Args + ["--set", "quantization.double_quant=false"]), root: p.root)
        XCTAssertNotEqual(single.key, nf4.key, "double quantization is in the key")

        try TrainLoRAStage.run(try p.options(nf4Args), root: p.root)
        try GenerateStage.run(try p.options(nf4Args), variant: .lora, root: p.root)
        let generated = try JSONValue.parse(Data(contentsOf: p.url("data/predictions/generate-lora.manifest.json")))
        XCTAssertEqual(generated["params"]?["generation.weights_dtype"], .string("nf4"))
        let predictions = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8)
        XCTAssertEqual(predictions.split(separator: "\n").count, 6)
    }

    /// QLoRA's own recipe (LoRA on every linear layer, wo and the 4-bit ones alike) and IA3, which PEFT also allows on
    /// a 4-bit base, train on it: finite adapters, other bytes than on the bf16 base.
    func testLoRAOnEveryLinearAndIA3TrainOnTheFourBitBase() throws {
        for method in [["--set", "lora.target_modules=[all-linear]"], ["--set", "train.mode=ia3"]] {
            let p = try StageTestProject()
            let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.epochs=1"] + method)
            try TrainLoRAStage.run(try p.options(args), root: p.root)
            let bf16 = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
            try TrainLoRAStage.run(try p.options(args + Self.nf4), root: p.root)
            let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
            XCTAssertEqual(adapter.names.count, method[1].contains("ia3") ? 3 * 2 + 2 : 2 * (7 + 11), "\(method)")
            for name in adapter.names { XCTAssertTrue(try adapter.floats(name).allSatisfy(\.isFinite), name) }
            XCTAssertNotEqual(try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors")), bf16, "\(method)")
        }
    }

    func testBadSettingsAreOneLineNamingTheKey() throws {
        let p = try StageTestProject()
        let cases: [([String], [String])] = [
            (Self.nf4 + ["--set", "quantization.blocksize=48"], ["quantization.blocksize", "64"]),
            (Self.nf4 + ["--set", "train.mode=full"], ["train.weights_dtype", "full"]),
            (["--set", "train.weights_dtype=nf8"], ["train.weights_dtype"]),
        ]
        let args = try p.prepareForTraining(examples: 8)
        for (extra, words) in cases {
            XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + extra), root: p.root)) { error in
                let text = "\(error)"
                XCTAssertFalse(text.contains("\n"), text)
                for word in words { XCTAssertTrue(text.contains(word), "\(text) lacks \(word)") }
            }
        }
    }
}
