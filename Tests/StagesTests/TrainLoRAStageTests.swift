import Failures
import Foundation
import JSON
import PEFT
import Pipeline
import SafeTensors
import Training
import XCTest
@testable import Stages

final class TrainLoRAStageTests: XCTestCase {
    func testTrainsAPEFTAdapterThatGenerateLoadsAndCaches() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining()
        let r = try TrainLoRAStage.run(try p.options(args), root: p.root)
        XCTAssertEqual(r.summary["steps"], .int(12))  // 24 examples / batch 4 * 2 epochs
        XCTAssertEqual(r.summary["validation_loss"]?.arrayValue?.count, 2)
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        // q and v in encoder self-attention, decoder self- and cross-attention: 1 + 2 layers x 2.
        XCTAssertEqual(adapter.tensors.count, 12)
        XCTAssertNotNil(adapter.tensors["base_model.model.decoder.block.0.layer.1.EncDecAttention.v.lora_B.weight"])
        let log = try String(contentsOf: p.url("data/adapter/log.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 14)
        XCTAssertTrue(try TrainLoRAStage.run(try p.options(args), root: p.root).cacheHit)

        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        let lines = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        // A LoRA setting reruns training; a generation setting does not.
        XCTAssertTrue(try TrainLoRAStage.run(try p.options(args + ["--set", "generation.num_beams=2"]), root: p.root).cacheHit)
        XCTAssertFalse(try TrainLoRAStage.run(try p.options(args + ["--set", "lora.alpha=8"]), root: p.root).cacheHit)
        XCTAssertFalse(try TrainLoRAStage.run(try p.options(args + ["--set", "train.label_smoothing=0.1"]), root: p.root).cacheHit)
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "train.label_smoothing=1"]), root: p.root)) {
            XCTAssertTrue("\($0)".contains("'train.label_smoothing' must be a number in [0, 1), got 1.0"), "\($0)")
        }
    }

    /// Hugging Face ≥ 4.46's accumulation: batch_size 8 with grad_accum 1 and batch_size 4 with grad_accum 2
    /// train on the same examples with the same loss and gradient norm at every step, within rounding
    /// (LoRA and T5 dropout off: masks are drawn per forward pass). A mean of micro-batch means would differ.
    /// train.lr_scheduler_type and train.warmup_ratio reach the optimiser: the logged rates are the schedule's, the
    /// warm-up rounded up as Hugging Face rounds it; both warm-ups at once, or constant with one, are refused.
    func testScheduleAndWarmupRatioReachTheOptimiser() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.max_steps=5", "--set", "train.lr=0.002",
                                                                 "--set", "train.lr_scheduler_type=cosine", "--set", "train.warmup_ratio=0.3"])
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        let rates = try String(contentsOf: p.url("data/adapter/log.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
            try JSONValue.parse(Data(line.utf8))["lr"]?.doubleValue
        }
        let expected = try LearningRateSchedule(.cosine, baseLearningRate: 0.002, warmupSteps: 2, totalSteps: 5)  // ceil(5 × 0.3)
        XCTAssertEqual(rates, (0..<5).map { expected.learningRate(atStep: $0) })
        XCTAssertEqual(rates.first, 0)
        for (extra, words) in [(["--set", "train.warmup_steps=1"], "are both set"),
                               (["--set", "train.lr_scheduler_type=constant"], "constant has no warm-up")] {
            XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + extra), root: p.root)) { e in
                XCTAssertEqual((e as? PipelineError)?.status, .usage)
                XCTAssertTrue("\(e)".contains(words), "\(e)")
            }
        }
    }

    func testGradientAccumulationGivesTheWholeBatchGradient() throws {
        func steps(batch: Int, accum: Int) throws -> [(loss: Double, norm: Double)] {
            let p = try StageTestProject()
            let args = try p.prepareForTraining(examples: 16, extra: ["--set", "lora.dropout=0", "--set", "train.dropout_rate=0", "--set", "train.max_steps=3",
                                                                      "--set", "train.batch_size=\(batch)", "--set", "train.grad_accum=\(accum)"])
            try TrainLoRAStage.run(try p.options(args), root: p.root)
            return try String(contentsOf: p.url("data/adapter/log.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
                guard case .object(let o) = try JSONValue.parse(Data(line.utf8)), let loss = o["loss"]?.doubleValue,
                      let norm = o["grad_norm"]?.doubleValue else { return nil }
                return (loss, norm)
            }
        }
        let whole = try steps(batch: 8, accum: 1), accumulated = try steps(batch: 4, accum: 2)
        XCTAssertEqual(whole.count, 3)
        XCTAssertEqual(accumulated.count, 3)
        // 1e-4, not 1e-5: on a CPU whose AVX512_BF16 is the slower, the micro-batches' products (fewer than
        // BF16GEMM.emulationMinimumRows rows here) run on oneDNN's bf16 kernel and the whole batch's on the
        // emulation, summing in other orders (2.7e-5 apart after three steps on the Emerald Rapids Xeon)
        for (a, b) in zip(whole, accumulated) {
            XCTAssertEqual(a.loss, b.loss, accuracy: 1e-4 * a.loss)
            XCTAssertEqual(a.norm, b.norm, accuracy: 1e-4 * a.norm)
        }
    }

    /// `lora.target_modules: [all-linear]` adapts every linear layer of the blocks and never lm_head; the
    /// expanded leaf names are what adapter_config.json records, and generate loads the adapter.
    func testAllLinearTargetsEveryBlockLinearAndWritesTheExpandedList() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "lora.target_modules=[all-linear]", "--set", "train.max_steps=2"])
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        // 1 encoder layer x (q, k, v, o, wi_0, wi_1, wo) + 1 decoder layer x (4 self + 4 cross + 3 FFN), A and B each.
        XCTAssertEqual(adapter.tensors.count, 2 * (7 + 11))
        XCTAssertFalse(adapter.tensors.keys.contains { $0.contains("lm_head") })
        let config = try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json"))
        XCTAssertEqual(config.lora!.targetModules, ["k", "o", "q", "v", "wi_0", "wi_1", "wo"])
        XCTAssertNoThrow(try GenerateStage.run(try p.options(args), variant: .lora, root: p.root))
    }

    /// `lora.rank_pattern` / `lora.alpha_pattern` (PEFT's semantics, parity-tested in PEFTParityTests): each module's
    /// tensors have its own rank, adapter_config.json records the patterns so that generate (and PEFT) give each
    /// module its r and alpha back, and a key that adapts nothing, a bad expression or rsLoRA with patterns is an error.
    func testRankAndAlphaPatternsShapeTheAdapterAndAreRecorded() throws {
        let p = try StageTestProject()
        let patterns = ["--set", "lora.rank_pattern={'decoder.*EncDecAttention\\.q': 2, v: 6}", "--set", "lora.alpha_pattern={q: 12}"]
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.max_steps=2"] + patterns)
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        let adapter = try SafeTensorsFile(path: p.url("data/adapter/adapter_model.safetensors").path)
        func rank(_ module: String) throws -> Int { try adapter.info("base_model.model.\(module).lora_A.weight").shape[0] }
        XCTAssertEqual(try rank("decoder.block.0.layer.1.EncDecAttention.q"), 2)
        XCTAssertEqual(try rank("decoder.block.0.layer.0.SelfAttention.q"), 4, "lora.r")
        XCTAssertEqual(try rank("encoder.block.0.layer.0.SelfAttention.v"), 6)
        let config = try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json"))
        XCTAssertEqual(config.lora!.rankPattern, ["decoder.*EncDecAttention\\.q": 2, "v": 6])
        XCTAssertEqual(config.lora!.alphaPattern, ["q": 12])
        XCTAssertEqual(config.lora!.rank(of: "decoder.block.0.layer.1.EncDecAttention.q"), 2)
        XCTAssertEqual(config.lora!.alpha(of: "decoder.block.0.layer.1.EncDecAttention.q"), 12)
        XCTAssertNoThrow(try GenerateStage.run(try p.options(args), variant: .lora, root: p.root))
        XCTAssertFalse(try TrainLoRAStage.run(try p.options(args + ["--set", "lora.alpha_pattern={q: 16}"]), root: p.root).cacheHit)

        for (setting, message) in [
            ("lora.rank_pattern={wo: 2}", "lora.rank_pattern key \"wo\" matches none of the adapted modules"),
            ("lora.alpha_pattern={'(': 2}", "lora.alpha_pattern key \"(\" is not a regular expression"),
            ("lora.rank_pattern={q: 0}", "parameter 'lora.rank_pattern' must be a mapping of names to positive integers"),
            ("lora.use_rslora=true", "lora.use_rslora cannot be combined with lora.rank_pattern"),
        ] {
            XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", setting]), root: p.root), setting) {
                XCTAssertTrue("\($0)".contains(message), "\(setting): \($0)")
            }
        }
    }

    /// adapter_config.json records model.local_dir (or the hub id) as base_model_name_or_path; the key covers it,
    /// so the same model under another folder trains again and names the new folder, not the cached one.
    func testTheRecordedBaseModelNameIsInTheKey() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.max_steps=1"])
        for folder in ["models/a", "models/b"] {
            let r = try TrainLoRAStage.run(try p.options(args + ["--set", "model.local_dir=\(folder)"]), root: p.root)
            XCTAssertFalse(r.cacheHit, folder)
            XCTAssertEqual(try AdapterConfig.read(from: p.url("data/adapter/adapter_config.json")).baseModelNameOrPath, folder)
        }
    }

    /// A run that diverges names its checkpoint only when one exists (issue 33, item 11: the line said a checkpoint
    /// was kept in a folder that was empty).
    func testDivergenceNamesTheCheckpointOnlyWhenThereIsOne() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "train.lr=1e30", "--set", "train.max_steps=3"])
        for (every, kept) in [(100, false), (1, true)] {
            XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args + ["--set", "train.checkpoint_every=\(every)"]), root: p.root)) { e in
                let error = e as? PipelineError
                XCTAssertEqual(error?.status, .trainingDiverged, "\(e)")
                XCTAssertEqual(error?.message.contains("the last good checkpoint is kept in"), kept, "\(e)")
                XCTAssertEqual(error?.message.contains("no checkpoint was written before it"), !kept, "\(e)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/adapter/adapter_model.safetensors").path))
    }

    func testVerifyRecomputesTheSameBytes() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8)
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        XCTAssertNoThrow(try TrainLoRAStage.run(try p.options(args + ["--verify"]), root: p.root))
    }

    /// Kills a real train-lora process after its first checkpoint, resumes it, and compares
    /// the adapter with an uninterrupted run's, byte for byte.
    func testResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill() }

    /// QLoRA too: the 4-bit base is quantized again on resume, to the same codes.
    func testQLoRAResumeAfterKillGivesTheUninterruptedBytes() throws { try checkResumeAfterKill(["--set", "train.weights_dtype=nf4"]) }

    func testEmptyTrainingSetIsOneClearError() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8)
        // Keep no training example: every 12th from offset 11 of 8 rows is none.
        XCTAssertThrowsError(try TokenizeStage.run(try p.options(args + ["--set", "tokenize.subset_every=12",
                                                                          "--set", "tokenize.subset_offset=11"]), root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("no examples"), "\(e)")
        }
    }

    func testTokenFileFromAnotherTokenizerIsRejected() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8)
        // A model with a smaller vocabulary than the token ids: as if tokenised for another model.
        var small = StageTestProject.tinyRecipe
        small.vocabSize = 300
        try small.writeInitialModel(to: p.url("small"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        // placed by hand (fetch-model would refuse its spiece.model): with no run recorded in the lock, the stage reads
        // data/model as it is (a recorded file would be read from the store entry of its run: LockedInputs)
        try FileManager.default.removeItem(at: p.url("pipeline.lock"))
        try? FileManager.default.removeItem(at: p.url("data/model/config.json"))
        try FileManager.default.copyItem(at: p.url("small/config.json"), to: p.url("data/model/config.json"))
        try? FileManager.default.removeItem(at: p.url("data/model/model.safetensors"))
        try FileManager.default.copyItem(at: p.url("small/model.safetensors"), to: p.url("data/model/model.safetensors"))
        XCTAssertThrowsError(try TrainLoRAStage.run(try p.options(args), root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("outside the model's vocabulary"), "\(e)")
        }
    }

    func testAdapterForAnotherModelIsRejectedByGenerate() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8)
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        // Swap in a base model of another width: the adapter no longer fits.
        var wide = StageTestProject.tinyRecipe
        wide.dModel = 48
        try wide.writeInitialModel(to: p.url("wide"), spiece: StageTestProject.repoRoot.appendingPathComponent("demo/spiece.model"))
        try FetchModelStage.run(try p.options(args), localDirectory: "wide", root: p.root)
        XCTAssertThrowsError(try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)) { e in
            XCTAssertTrue("\(e)".contains("another base"), "\(e)")
        }
    }
}

final class MergedModelTests: XCTestCase {
    /// The merged model must generate exactly what base + unmerged adapter generates.
    func testMergeWritesAModelThatGeneratesLikeBasePlusAdapter() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "lora.r=8", "--set", "train.lr=0.05"])
        try TrainLoRAStage.run(try p.options(args + ["--set", "train.merge=true"]), root: p.root)
        try GenerateStage.run(try p.options(args), variant: .lora, root: p.root)
        let viaAdapter = try String(contentsOf: p.url("data/predictions/lora.jsonl"), encoding: .utf8)
        try FetchModelStage.run(try p.options(args), localDirectory: "data/merged", root: p.root)
        try GenerateStage.run(try p.options(args), variant: .base, root: p.root)
        let viaMerge = try String(contentsOf: p.url("data/predictions/base.jsonl"), encoding: .utf8)
        XCTAssertEqual(viaMerge, viaAdapter)
    }
}

extension XCTestCase {
    /// Kills a real train-lora process (with `settings` added) after its first checkpoint, resumes it, and compares
    /// the adapter with an uninterrupted run's, byte for byte.
    func checkResumeAfterKill(_ settings: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let exe = try StageTestProject.executable("train-lora")
        let extra = ["--set", "train.epochs=6", "--set", "train.checkpoint_every=2"] + settings
        let a = try StageTestProject(), b = try StageTestProject()
        let args = try a.prepareForTraining(examples: 16, extra: extra)
        _ = try b.prepareForTraining(examples: 16, extra: extra)
        try TrainLoRAStage.run(try a.options(args), root: a.root)

        let process = Process()
        process.executableURL = exe
        process.arguments = ["--quiet"] + args
        process.currentDirectoryURL = b.root
        try process.run()
        let killedAfterCheckpoint = StageTestProject.killAfterFirstCheckpoint(process, work: b.url("data/store/.work"))
        try XCTSkipUnless(killedAfterCheckpoint, "the run finished before it could be killed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: b.url("data/adapter/adapter_model.safetensors").path),
                       "a killed run must not publish", file: file, line: line)
        let resumed = try TrainLoRAStage.run(try b.options(args), resume: true, root: b.root)
        XCTAssertNotNil(resumed.summary["resumed_from_step"], file: file, line: line)
        for f in ["adapter_model.safetensors", "adapter_config.json"] {
            XCTAssertEqual(try Data(contentsOf: a.url("data/adapter/\(f)")), try Data(contentsOf: b.url("data/adapter/\(f)")), f,
                           file: file, line: line)
        }
    }
}

extension StageTestProject {
    /// SIGKILLs `process` as soon as a checkpoint appears under `work` (the store's work folder); false if it ended first.
    static func killAfterFirstCheckpoint(_ process: Process, work: URL) -> Bool {
        var killed = false
        for _ in 0..<600 {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
            if entries.contains(where: { FileManager.default.fileExists(atPath: work.appendingPathComponent("\($0)/checkpoint/state.json").path) }) {
                kill(process.processIdentifier, SIGKILL)
                killed = true
                break
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        return killed
    }
}
