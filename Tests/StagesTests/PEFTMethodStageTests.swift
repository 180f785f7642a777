import Foundation
import JSON
import PEFT
import Pipeline
import Report
import SafeTensors
import SentencePiece
import XCTest
@testable import Stages

/// The PEFT methods besides LoRA through the stages (`train.mode`), with LoRA's guarantees: PEFT's files, a key
/// that covers the method's settings and nothing else's, generate loading the adapter, merging, byte-identical
/// recomputation, kill-and-resume to the same bytes, mpirun ranks equal to gradient accumulation, and the bf16 mode.
final class PEFTMethodStageTests: XCTestCase {
    static let ia3 = ["--set", "train.mode=ia3", "--set", "train.lr=0.05"]

    func testIA3TrainsPEFTsFilesThatGenerateLoads() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: Self.ia3)
        let r = try TrainLoRAStage.run(try p.options(args), root: p.root)
        // k, v and wo (its input): 1 encoder block (k, v, wo) + 1 decoder block (self k, v; cross k, v; wo)
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        XCTAssertEqual(adapter.names.count, 3 + 5)
        XCTAssertEqual(adapter.tensors["base_model.model.decoder.block.0.layer.2.DenseReluDense.wo.ia3_l"]?.shape, [1, 64])
        XCTAssertEqual(adapter.tensors["base_model.model.decoder.block.0.layer.1.EncDecAttention.k.ia3_l"]?.shape, [32, 1])
        XCTAssertEqual(r.summary["trainable_parameters"], .int(2 * 32 + 64 + 4 * 32 + 64))
        let trained = try adapter.floats("base_model.model.encoder.block.0.layer.0.SelfAttention.v.ia3_l")
        XCTAssertTrue(trained.contains { $0 != 1 }, "training moved the vectors away from PEFT's ones")
        let config = try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json"))
        XCTAssertEqual(config.method, .ia3(IA3Config()))
        XCTAssertEqual(config.otherFields["peft_type"], .string("IA3"))
        XCTAssertEqual(config.otherFields["init_ia3_weights"], .bool(true))

        // The key holds ia3.* and not lora.*.
        XCTAssertTrue(try TrainLoRAStage.run(try p.options(args + ["--set", "lora.r=16"]), root: p.root).cacheHit)
        XCTAssertFalse(try TrainLoRAStage.run(try p.options(args + ["--set", "ia3.target_modules=[k, v]",
                                                                   "--set", "ia3.feedforward_modules=[]"]), root: p.root).cacheHit)
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "ia3.feedforward_modules=[wi]"]), root: p.root)) {
            XCTAssertTrue("\($0)".contains("ia3.feedforward_modules \"wi\" is not among ia3.target_modules"), "\($0)")
        }
        XCTAssertNoThrow(try TrainLoRAStage.run(try p.options(args + ["--verify"]), root: p.root), "recomputes the same bytes")

        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
        let lines = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        // The report says which method its "lora" system is.
        try ScoreRougeStage.run(try p.options(args), root: p.root)
        let report = try String(contentsOf: try RunReport.write(configFile: nil, directory: p.root), encoding: .utf8)
        XCTAssertTrue(report.contains("The `lora` system is the IA3 adapter (`train.mode: ia3`)"), report)
    }

    /// train.merge folds ia3_l into the weights (rows of k and v, columns of wo): that model generates what base +
    /// adapter generates.
    func testIA3MergeGeneratesLikeBasePlusAdapter() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: Self.ia3 + ["--set", "train.lr=0.2", "--set", "train.weights_dtype=f32",
                                                                            "--set", "generation.weights_dtype=f32"])
        try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true"]), root: p.root)
        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        let viaAdapter = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8)
        try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
        let base = try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8)
        XCTAssertNotEqual(base, viaAdapter, "the adapter must change the summaries for the test to tell")
        try FetchModelStage.run(try p.options(args), localDirectory: "data/merged", root: p.root)
        try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
        XCTAssertEqual(try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8), viaAdapter)
    }

    func testIA3ResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(Self.ia3) }

    /// Two ranks at batch_size 4 give one process's bytes at batch_size 2 with grad_accum 2.
    func testIA3UnderTwoRanksGivesTheBytesOfOneProcess() throws { try checkTwoRanks(Self.ia3) }

    /// Two ranks at batch_size 4 (train-lora under mpirun, `settings` added) give one process's adapter at batch_size 2
    /// with grad_accum 2.
    func checkTwoRanks(_ settings: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let ranks = try StageTestProject(), single = try StageTestProject()
        let extra = settings + MPIRunTests.training
        let args = try ranks.prepareForTraining(examples: 14, extra: extra)
        _ = try single.prepareForTraining(examples: 14, extra: extra)
        let r = try MPIRunTests.mpirun(2, "train-lora", ["--quiet"] + args, in: ranks.root)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        try TrainLoRAStage.run(try single.options(args + ["--set", "train.batch_size=2", "--set", "train.grad_accum=2"]),
                               root: single.root)
        try MPIRunTests.assertSameFiles(["data/adapter/adapter_model.safetensors", "data/adapter/adapter_config.json"], ranks, single,
                                        file: file, line: line)
    }

    /// The bf16 mode (the reference setting) and fp32 train IA3 to different bytes, both finite.
    func testIA3TrainsInBF16AndFP32() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: Self.ia3 + ["--set", "train.epochs=1"])
        var adapters: [[Float]] = []
        for dtype in ["bf16", "f32"] {
            try TrainLoRAStage.run(try p.options(args + ["--set", "train.weights_dtype=\(dtype)"]), root: p.root)
            let file = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
            adapters.append(try file.names.sorted().flatMap { try file.floats($0) })
        }
        XCTAssertTrue(adapters.allSatisfy { $0.allSatisfy(\.isFinite) })
        XCTAssertNotEqual(adapters[0], adapters[1], "the bf16 mode must change the trained bytes")
    }

    // MARK: LoHa and LoKr

    static let lycoris = ["--set", "train.lr=0.02", "--set", "loha.target_modules=[q, v, wo]", "--set", "lokr.target_modules=[q, v, wo]",
                          "--set", "loha.r=2", "--set", "lokr.r=2", "--set", "lokr.rank_pattern={wo: 4}"]

    /// Each trains PEFT's tensors (LoKr's factor forms as PEFT picks them: at r 2 w2 is a low-rank pair for widths 32
    /// and 64, at wo's r 4 (rank_pattern) a full 8 × 8 matrix), recomputes the same
    /// bytes, moves the summaries, merges into a model that generates what base + adapter generates, and trains other
    /// bytes in fp32 than in bf16; a lora.* setting is not in its key, its own section is.
    func testLoHaAndLoKrTrainMergeAndVerify() throws {
        for (method, tensors) in [("loha", ["hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b"]),
                                  ("lokr", ["lokr_w1", "lokr_w2", "lokr_w2_a", "lokr_w2_b"])] {
            let p = try StageTestProject()
            let args = try p.prepareForTraining(examples: 8, extra: Self.lycoris + ["--set", "train.mode=\(method)",
                                                                                   "--set", "generation.weights_dtype=f32"])
            try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true"]), root: p.root)
            let file = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
            XCTAssertEqual(Set(file.names.map { String($0.split(separator: ".").last!) }), Set(tensors), method)
            XCTAssertEqual(Set(file.names.map { $0.split(separator: ".").dropLast().joined(separator: ".") }).count, 3 + 5,
                           "\(method): q, v, wo in 1 encoder and 1 decoder block")
            let config = try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json"))
            XCTAssertEqual(config.method.peftType, method.uppercased())
            XCTAssertEqual(config.method.lycoris?.rank, 2)
            XCTAssertNoThrow(try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true", "--verify"]), root: p.root))
            XCTAssertTrue(try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true", "--set", "lora.r=16"]),
                                                 root: p.root).cacheHit)

            try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
            let viaAdapter = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8)
            try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
            XCTAssertNotEqual(try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8), viaAdapter, method)
            try FetchModelStage.run(try p.options(args), localDirectory: "data/merged", root: p.root)
            try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
            XCTAssertEqual(try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8), viaAdapter, "\(method) merged")

            let bf16 = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
            XCTAssertFalse(try TrainLoRAStage.run(try p.options(args + ["--set", "\(method).alpha=4"]), root: p.root).cacheHit)
            try TrainLoRAStage.run(try p.options(args + ["--set", "train.weights_dtype=f32"]), root: p.root)
            XCTAssertNotEqual(try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors")), bf16, "\(method): bf16 changes the bytes")
        }
    }

    func testLoHaResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(Self.lycoris + ["--set", "train.mode=loha"]) }

    func testLoKrResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(Self.lycoris + ["--set", "train.mode=lokr"]) }

    func testLoHaAndLoKrUnderTwoRanksGiveTheBytesOfOneProcess() throws {
        for method in ["loha", "lokr"] { try checkTwoRanks(Self.lycoris + ["--set", "train.mode=\(method)"]) }
    }

    // MARK: Prompt tuning and P-tuning

    static let prompts = ["--set", "train.lr=0.05", "--set", "prompt_tuning.num_virtual_tokens=4", "--set", "p_tuning.num_virtual_tokens=4",
                          "--set", "prefix_tuning.num_virtual_tokens=4",
                          "--set", "p_tuning.encoder_hidden_size=16", "--set", "generation.weights_dtype=f32"]

    /// Each writes PEFT's one `prompt_embeddings` [2n, d] (P-tuning: its MLP's output), recomputes the same bytes, makes
    /// generate's summaries differ from the base model's, trains other bytes in bf16 than in fp32, and refuses
    /// train.merge with one line; prompt tuning's TEXT initialisation starts from the text's token embeddings.
    func testPromptTuningAndPTuningTrainAndGenerate() throws {
        for method in ["prompt_tuning", "p_tuning", "prefix_tuning"] {
            let p = try StageTestProject()
            let args = try p.prepareForTraining(examples: 8, extra: Self.prompts + ["--set", "train.mode=\(method)"])
            let r = try TrainLoRAStage.run(try p.options(args), root: p.root)
            let file = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
            XCTAssertEqual(file.names, ["prompt_embeddings"], method)
            // the tiny model: d_model 32, 1 + 1 layers; prefix tuning's table is [n, 1 · 2 · 32]
            XCTAssertEqual(file.tensors["prompt_embeddings"]?.shape, method == "prefix_tuning" ? [4, 64] : [8, 32], method)
            let trainable = ["prompt_tuning": 8 * 32, "p_tuning": 8 * 32 + 16 * 32 + 16 + 16 * 16 + 16 + 32 * 16 + 32, "prefix_tuning": 4 * 64]
            XCTAssertEqual(r.summary["trainable_parameters"], .int(trainable[method]!))
            let config = try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json"))
            XCTAssertEqual((config.method.prompt ?? config.method.prefix)?.tokenDim, 32)
            XCTAssertEqual((config.method.prompt ?? config.method.prefix)?.encoderHiddenSize, ["p_tuning": 16, "prefix_tuning": 32][method])
            XCTAssertNoThrow(try TrainLoRAStage.run(try p.options(args + ["--verify"]), root: p.root))

            try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
            try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
            XCTAssertNotEqual(try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8),
                              try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8), method)

            XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true"]), root: p.root)) {
                XCTAssertTrue("\($0)".contains("train.merge: \(method) adds rows to the input"), "\($0)")
            }
            let bf16 = try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors"))
            try TrainLoRAStage.run(try p.options(args + ["--set", "train.weights_dtype=f32"]), root: p.root)
            XCTAssertNotEqual(try Data(contentsOf: p.url("data/adapter/adapter_model.safetensors")), bf16, "\(method): bf16 changes the bytes")
        }
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: Self.prompts + ["--set", "train.mode=prompt_tuning", "--set", "train.lr=0"])
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "prompt_tuning.prompt_tuning_init=TEXT"]), root: p.root)) {
            XCTAssertTrue("\($0)".contains("prompt_tuning.prompt_tuning_init TEXT needs a non-empty prompt_tuning.prompt_tuning_init_text"), "\($0)")
        }
        // lr 0 with weight decay 0: the saved table is the initialisation, the embeddings of "Summarize:" + EOS, repeated
        // (fp32 here: in the bf16 mode they are the bf16-rounded rows, as PEFT copies them from a bf16 model)
        try TrainLoRAStage.run(try p.options(args + ["--set", "prompt_tuning.prompt_tuning_init=TEXT", "--set", "train.weight_decay=0",
                                                     "--set", "train.weights_dtype=f32",
                                                     "--set", "prompt_tuning.prompt_tuning_init_text=Summarize:"]), root: p.root)
        let table = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path).floats("prompt_embeddings")
        let model = try SafeTensorsFile(path: p.url("data/model/model.safetensors").path)
        let embedding = try model.floats("shared.weight")
        let ids = try T5Tokenizer(path: p.url("data/model/spiece.model").path).encode("Summarize:").ids
        let expected = PromptConfig(virtualTokens: 4).initTokenIds(ids).flatMap { Array(embedding[(Int($0) * 32)..<(Int($0) * 32 + 32)]) }
        XCTAssertEqual(table, expected)
    }

    func testPromptTuningResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(Self.prompts + ["--set", "train.mode=prompt_tuning"]) }

    func testPTuningResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(Self.prompts + ["--set", "train.mode=p_tuning"]) }

    func testPrefixTuningResumeAfterKillGivesTheUninterruptedBytes() throws {
        try checkResumeAfterKill(Self.prompts + ["--set", "train.mode=prefix_tuning"])
    }

    func testPromptMethodsUnderTwoRanksGiveTheBytesOfOneProcess() throws {
        for method in ["prompt_tuning", "p_tuning", "prefix_tuning"] { try checkTwoRanks(Self.prompts + ["--set", "train.mode=\(method)"]) }
    }
}
