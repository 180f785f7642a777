import Dataset
import Failures
import Foundation
import JSON
import Kernels
import LoRA
import Pipeline
import SafeTensors
import T5
import T5Training

/// `train-lora`: the tokenised train (and validation) split + the model → a PEFT adapter
/// (`data/adapter/{adapter_config.json, adapter_model.safetensors, log.jsonl}`), or with
/// `train.mode: full` a fully fine-tuned model (`data/full-model/`), the way the demo's
/// base model gets its starting ability.
public enum TrainLoRAStage {
    @discardableResult
    /// Under mpirun (`group` of W ranks) each rank computes one of every step's W micro-batches of
    /// `train.batch_size / W` examples: the bytes of one process at that batch size with `grad_accum W`.
    public static func run(_ options: StageOptions, resume: Bool = false, root: URL? = nil,
                           group: ProcessGroup = SingleProcess()) throws -> StageResult {
        // Format 3: gradient accumulation normalised by the step's labelled tokens (Hugging Face ≥ 4.46).
        // Format 4: accumulated micro-batch gradients added in a fixed order (as across mpirun's ranks).
        // Format 5: the LoRA scale is PEFT's Double alpha/r (alpha/√r) rounded once (`loraScale`).
        let run = try StageRun(stage: "train-lora", formatVersion: 5, options: options, root: root)
        run.lockedSummaryFields = ["kept"]
        run.group = group
        let p = run.params
        let full = p.string("train.mode") == "full"
        var lora: LoRASettings?
        var merge = false
        if !full {
            merge = p.bool("train.merge")
            lora = loraSettings(p)
            do { try validateTargets(lora!.targetModules) } catch { throw PipelineError.usage("\(error)", path: options.config) }
            try validatePatterns(lora!, config: options.config)
        }
        var s = trainingSettings(p)
        if group.size > 1 {
            guard s.gradAccum == 1 else {
                throw PipelineError.usage("train.grad_accum must be 1 under mpirun: each of the \(group.size) ranks computes "
                                          + "one micro-batch of every step", path: options.config)
            }
            guard s.batchSize % group.size == 0 else {
                throw PipelineError.usage("train.batch_size \(s.batchSize) is not a multiple of the \(group.size) ranks",
                                          path: options.config)
            }
            s.batchSize /= group.size
            s.gradAccum = group.size
            p.record("runtime.world_size", .int(group.size))
        }
        guard s.warmupSteps == 0 || s.warmupRatio == 0 else {
            throw PipelineError.usage("train.warmup_steps \(s.warmupSteps) and train.warmup_ratio \(s.warmupRatio) are both set; "
                                      + "set one (transformers would silently take warmup_steps)", path: options.config)
        }
        guard s.schedule != .constant || (s.warmupSteps == 0 && s.warmupRatio == 0) else {
            throw PipelineError.usage("train.lr_scheduler_type constant has no warm-up (transformers ignores one); "
                                      + "use constant_with_warmup", path: options.config)
        }
        let dropoutRate = Float(p.double("train.dropout_rate"))
        let labelSmoothing = p.double("train.label_smoothing")  // in [0, 1): ParameterSchema
        let threads = p.int("runtime.threads")
        let weightsDType = p.string("train.weights_dtype")
        guard threads > 0 else { throw PipelineError.usage("runtime.threads must be > 0", path: options.config) }
        guard let basePrecision = WeightMatrix.Precision(rawValue: weightsDType) else {
            throw PipelineError.usage("train.weights_dtype must be f32 or bf16, not \(weightsDType)", path: options.config)
        }
        guard basePrecision == .f32 || !full else {
            throw PipelineError.usage("train.weights_dtype bf16 is for LoRA (frozen base weights); a full fine-tune "
                                      + "(train.mode full) trains fp32 weights: set train.weights_dtype f32", path: options.config)
        }

        // adapter_config.json names the base model (the hub id or model.local_dir); the key covers it,
        // so the same weights under another folder are not a cache hit that names the old one.
        run.addToKey("base_model_name_or_path", .string(modelName(run)))
        let trainTokens = try run.input("train.safetensors", path: run.dataPath("tokens/train.safetensors"))
        let validationTokens = try run.input("validation.safetensors", path: run.dataPath("tokens/validation.safetensors"))
        // read from the store entry of the run this configuration's lock records (LockedInputs)
        let modelDir = try run.inputFolder(run.dataPath("model"),
                                           files: ["config.json", "model.safetensors"] + (full || merge ? ["spiece.model"] : []))

        let outDir = full ? "full-model" : "adapter"
        let names = full ? ["config.json", "model.safetensors", "spiece.model"] : ["adapter_config.json", "adapter_model.safetensors"]
        let outputs = names.map { StageOutput($0, at: run.dataPath("\(outDir)/\($0)")) }
            + [StageOutput("log.jsonl", at: run.dataPath("\(outDir)/log.jsonl"), reproducible: false)]
            + (merge ? ["config.json", "model.safetensors", "spiece.model"].map {
                StageOutput("merged/\($0)", at: run.dataPath("merged/\($0)")) } : [])

        return try run.execute(outputs: outputs) { ws in
            let config = try T5Config.load(path: modelDir.appendingPathComponent("config.json").path)
            let weights = try SafeTensorsFile(path: modelDir.appendingPathComponent("model.safetensors").path)
            let train = try TokenFile.read(path: trainTokens.path, vocabularySize: config.vocabSize)
            let validation = try TokenFile.read(path: validationTokens.path, vocabularySize: config.vocabSize)
            let model = try T5TrainingModel(config: config, file: weights, mode: lora.map { .lora($0) } ?? .full,
                                            dropoutRate: dropoutRate, dropoutSeed: s.seed, threads: threads,
                                            basePrecision: basePrecision)
            model.labelSmoothing = Float(labelSmoothing)
            if let lora {
                if let key = lora.unusedPatternKey(adaptedPaths: model.loraLayers.map(\.path)) {
                    throw PipelineError.usage("lora.\(key) matches none of the adapted modules (lora.target_modules "
                                              + "\(lora.targetModules.joined(separator: ", ")) in every block)", path: options.config)
                }
                try initializeAdapters(model, settings: lora, seed: s.seed)
            }
            report("train-lora: \(basePrecision == .bf16 ? "bf16" : "fp32") base weights; products by "
                   + (basePrecision == .bf16 ? BF16GEMM.description : F32GEMM.description))
            report("train-lora: \(full ? "full fine-tune" : "LoRA") on \(train.count) examples, "
                   + "\(model.trainableParameters.reduce(0) { $0 + $1.count }) trainable parameters"
                   + (full ? "" : " in \(model.loraLayers.count) modules"))
            let loop = try TrainingLoop(model: model, train: train, validation: validation, settings: s,
                                        workDirectory: ws.workDirectory, group: group)
            let (log, summary) = try loop.run(resume: resume && !ws.isVerification)
            guard group.isLeader else { return .null }  // rank 0 writes the outputs
            try Data(log.joined().utf8).write(to: ws.url(for: "log.jsonl"))
            if let lora {
                let adapterConfig = try AdapterConfig(rank: lora.rank, alpha: lora.alpha, dropout: p.double("lora.dropout"),
                                                      targetModules: writtenTargets(p, lora, model: model), useRSLoRA: lora.useRSLoRA,
                                                      rankPattern: lora.rankPattern, alphaPattern: lora.alphaPattern,
                                                      baseModelNameOrPath: modelName(run))
                try adapterConfig.write(to: ws.url(for: "adapter_config.json"))
                try Data(model.loraSafeTensors()).write(to: ws.url(for: "adapter_model.safetensors"))
                if merge {
                    for f in ["config.json", "spiece.model"] {
                        try FileManager.default.copyItem(at: modelDir.appendingPathComponent(f), to: ws.url(for: "merged/\(f)"))
                    }
                    try MergedModel.write(base: weights, model: model, to: ws.url(for: "merged/model.safetensors"))
                }
            } else {
                try FileManager.default.copyItem(at: modelDir.appendingPathComponent("config.json"), to: ws.url(for: "config.json"))
                try FileManager.default.copyItem(at: modelDir.appendingPathComponent("spiece.model"), to: ws.url(for: "spiece.model"))
                var w = SafeTensorsWriter(metadata: ["format": "pt"])
                for param in model.weights.allParameters { try w.add(param.name, shape: param.shape, floats: param.values) }
                try w.write(to: ws.url(for: "model.safetensors").path)
            }
            var result: [String: JSONValue] = ["steps": .int(summary.steps), "final_loss": .double(Double(summary.finalLoss)),
                                               "validation_loss": .array(summary.validationLoss.map { .double(Double($0)) }),
                                               "trainable_parameters": .int(model.trainableParameters.reduce(0) { $0 + $1.count }),
                                               "examples": .int(train.count)]
            if let r = summary.resumedFromStep { result["resumed_from_step"] = .int(r) }
            result["kept"] = keptRecord(summary, keep: p.string("train.keep"))
            return .object(result)
        }
    }

    /// PEFT's initialisation from the run's seed: lora_A Kaiming-uniform, lora_B zero.
    public static func initializeAdapters(_ model: T5TrainingModel, settings: LoRASettings, seed: UInt64) throws {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.loraInitialization)
        var values: [String: [Float]] = [:]
        for layer in model.loraLayers {
            let (a, b) = initializeLoRAWeights(rank: layer.lora!.rank, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                                               generator: &generator)
            values[layer.lora!.a.name] = a
            values[layer.lora!.b.name] = b
        }
        try model.setLoRA(values, source: "LoRA initialisation")
    }

    /// target_modules as adapter_config.json records them: the names the user gave, or for "all-linear"
    /// the leaf names of the layers it expanded to in this model (q, k, v, o, wi_0, wi_1, wo for flan-t5).
    static func writtenTargets(_ p: ParameterReader, _ lora: LoRASettings, model: T5TrainingModel) -> [String] {
        guard p.strings("lora.target_modules") == [allLinear] else { return lora.targetModules }
        return Set(model.loraLayers.map { $0.path.split(separator: ".").last.map(String.init) ?? $0.path }).sorted()
    }

    /// What adapter_config.json names as the base: the hub id, or the local directory.
    /// `lora.*` as the trainer takes it.
    public static let allLinear = "all-linear"

    public static func loraSettings(_ p: ParameterReader) -> LoRASettings {
        var targets = p.strings("lora.target_modules")
        // PEFT's "all-linear": every linear layer of the blocks (those the model has), never the output layer.
        if targets == [allLinear] { targets = T5LinearModule.allCases.map(\.rawValue) }
        return LoRASettings(rank: p.int("lora.r"), alpha: p.double("lora.alpha"), dropout: Float(p.double("lora.dropout")),
                            targetModules: targets, useRSLoRA: p.bool("lora.use_rslora"),
                            rankPattern: p.numbers("lora.rank_pattern").mapValues { Int($0) },
                            alphaPattern: p.numbers("lora.alpha_pattern"))
    }

    /// rank_pattern / alpha_pattern keys are PEFT's regular expressions; PEFT refuses them with rsLoRA.
    static func validatePatterns(_ lora: LoRASettings, config: String?) throws {
        for (field, keys) in [("rank_pattern", lora.rankPattern.keys.sorted()), ("alpha_pattern", lora.alphaPattern.keys.sorted())] {
            for key in keys where !isValidPatternKey(key) {
                throw PipelineError.usage("lora.\(field) key \"\(key)\" is not a regular expression", path: config)
            }
        }
        guard !lora.useRSLoRA || (lora.rankPattern.isEmpty && lora.alphaPattern.isEmpty) else {
            throw PipelineError.usage("lora.use_rslora cannot be combined with lora.rank_pattern or lora.alpha_pattern "
                                      + "(PEFT refuses it too)", path: config)
        }
        guard lora.rankPattern.values.allSatisfy({ $0 <= 4096 }) else {
            throw PipelineError.usage("lora.rank_pattern values must be in 1...4096", path: config)
        }
    }

    /// Which step's state was published and its validation loss (recorded in the manifest and the lock).
    static func keptRecord(_ summary: TrainingSummary, keep: String) -> JSONValue {
        var kept: [String: JSONValue] = ["rule": .string(keep), "step": .int(summary.keptStep),
                                         "validation_loss": summary.keptValidationLoss.map { .double(Double($0)) } ?? .null]
        if let stop = summary.stoppedEarlyAtStep { kept["stopped_early_at_step"] = .int(stop) }
        return .object(kept)
    }

    /// `train.*` as the training loop takes it.
    public static func trainingSettings(_ p: ParameterReader) -> TrainingSettings {
        var s = TrainingSettings()
        s.epochs = p.int("train.epochs"); s.maxSteps = p.int("train.max_steps")
        s.batchSize = p.int("train.batch_size"); s.gradAccum = p.int("train.grad_accum")
        s.learningRate = p.double("train.lr"); s.weightDecay = p.double("train.weight_decay")
        s.beta1 = p.double("train.beta1"); s.beta2 = p.double("train.beta2"); s.eps = p.double("train.eps")
        s.warmupSteps = p.int("train.warmup_steps"); s.warmupRatio = p.double("train.warmup_ratio")
        s.schedule = LearningRateSchedule.Kind(rawValue: p.string("train.lr_scheduler_type"))!
        s.maxGradNorm = p.double("train.max_grad_norm")
        s.groupByLength = p.bool("train.group_by_length"); s.seed = UInt64(truncatingIfNeeded: p.int("train.seed"))
        s.checkpointEvery = p.int("train.checkpoint_every")
        s.evalEvery = p.int("train.eval_every"); s.evalLimit = p.int("train.eval_limit")
        s.keepBest = p.string("train.keep") == "best"; s.earlyStoppingPatience = p.int("train.early_stopping_patience")
        return s
    }

    static func modelName(_ run: StageRun) -> String {
        let local = run.params.unhashed("model.local_dir").stringValue!
        return local.isEmpty ? run.params.unhashed("model.repo").stringValue! : local
    }
}
