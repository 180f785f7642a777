import Foundation
import JSON
import Kernels
import XCTest
@testable import Stages

/// The bf16 mode through the stages: the reference settings train and generate in bf16, the manifest names what
/// ran the products, the f32 setting is one --set away and gives other bytes, and a full fine-tune refuses bf16.
final class BF16StageTests: XCTestCase {
    func testTrainAndGenerateInBF16RecordTheImplementationAndDifferFromFP32() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.epochs=1"])
        let bf16 = try TrainLoRAStage.run(try p.options(args), root: p.root)
        let manifest = try JSONValue.parse(Data(contentsOf: p.url("data/adapter/train-lora.manifest.json")))
        XCTAssertEqual(manifest["params"]?["train.weights_dtype"], .string("bf16"), "the reference settings train in bf16")
        XCTAssertEqual(manifest["host"]?["bf16"]?["product"], .string(BF16GEMM.description))
        XCTAssertEqual(manifest["host"]?["bf16"]?["cpu_features"], .string(BF16GEMM.cpuFeatures))
        let bf16Adapter = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        let generated = try JSONValue.parse(Data(contentsOf: p.url("data/predictions/generate-lora.manifest.json")))
        XCTAssertEqual(generated["params"]?["generation.weights_dtype"], .string("bf16"))

        let f32Args = args + ["--set", "train.weights_dtype=f32"]
        let f32 = try TrainLoRAStage.run(try p.options(f32Args), root: p.root)
        XCTAssertNotEqual(f32.key, bf16.key)
        XCTAssertNotEqual(try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors")), bf16Adapter,
                          "the bf16 mode must change the trained bytes")
        // back to bf16: a cache hit on the same bytes
        let again = try TrainLoRAStage.run(try p.options(args), root: p.root)
        XCTAssertTrue(again.cacheHit)
        XCTAssertEqual(try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors")), bf16Adapter)
    }

    func testFullFineTuneRefusesBF16WithOneLineNamingTheKey() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.mode=full", "--set", "train.weights_dtype=bf16"])
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args), root: p.root)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("train.weights_dtype") && text.contains("full"), text)
        }
    }
}
