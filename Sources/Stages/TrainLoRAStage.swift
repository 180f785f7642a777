import Dataset
import Failures
import Foundation
import JSON
import Kernels
import PEFT
import Pipeline
import SafeTensors
import SentencePiece
import T5
import T5Training
import Training

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
        // Format 6: LoKr trains through its factors without forming ΔW (TrainableLoKr): its sums run in another order.
        // Format 7: so does LoHa (TrainableLoHa, rank r² factors).
        let run = try StageRun(stage: "train-lora", formatVersion: 7, options: options, root: root)
        run.lockedSummaryFields = ["kept"]
        run.group = group
        let p = run.params
        let method = try adapterMethod(p, config: options.config)
        let full = method == nil
        let merge = !full && p.bool("train.merge")
        if merge, let method, !method.canMerge {
            throw PipelineError.usage("train.merge: \(method.name) adds rows to the input and has no weights to fold in "
                                      + "(PEFT does not merge prompts); set train.merge false", path: options.config)
        }
        let promptText = method?.prompt.flatMap { $0.initialization == .text ? $0.initText : nil }
        var s = trainingSettings(p)
        do {
            try s.validate()
            s = try s.distributed(over: group.size)
        } catch let e as PipelineError { throw PipelineError(e.status, e.message, path: options.config) }
        if group.size > 1 { p.record("runtime.world_size", .int(group.size)) }
        let dropoutRate = Float(p.double("train.dropout_rate"))
        let labelSmoothing = p.double("train.label_smoothing")  // in [0, 1): ParameterSchema
        let threads = p.int("runtime.threads")
        guard threads > 0 else { throw PipelineError.usage("runtime.threads must be > 0", path: options.config) }
        let base = try BaseWeights(p, section: "train", config: options.config)
        let rougeMetric = try ValidationROUGE.metric(p, config: options.config)
        s.metricForBestModel = rougeMetric?.rawValue ?? "loss"
        guard rougeMetric == nil || !full else {
            throw PipelineError.usage("train.metric_for_best_model \(rougeMetric!.rawValue) generates with an adapter; a full fine-tune "
                                      + "(train.mode full) is kept by validation loss: set train.metric_for_best_model loss", path: options.config)
        }
        guard base.precision == .f32 || !full else {
            throw PipelineError.usage("train.weights_dtype \(base.precision.rawValue) is for adapters (frozen base weights); a full "
                                      + "fine-tune (train.mode full) trains fp32 weights: set train.weights_dtype f32", path: options.config)
        }

        // adapter_config.json names the base model (the hub id or model.local_dir); the key covers it,
        // so the same weights under another folder are not a cache hit that names the old one.
        run.addToKey("base_model_name_or_path", .string(modelName(run)))
        let trainTokens = try run.input("train.safetensors", path: run.dataPath("tokens/train.safetensors"))
        let validationTokens = try run.input("validation.safetensors", path: run.dataPath("tokens/validation.safetensors"))
        // read from the store entry of the run this configuration's lock records (LockedInputs)
        let modelDir = try run.inputFolder(run.dataPath("model"),
                                           files: ["config.json", "model.safetensors"]
                                            + (full || merge || promptText != nil || rougeMetric != nil ? ["spiece.model"] : []))

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
            let model = try T5TrainingModel(config: config, file: weights, mode: method.map { .adapter($0) } ?? .full,
                                            dropoutRate: dropoutRate, dropoutSeed: s.seed, threads: threads,
                                            basePrecision: base.precision, nf4: base.nf4)
            model.labelSmoothing = Float(labelSmoothing)
            let adapted = model.adaptedLayers.map(\.path)
            if let method, let key = method.lora?.unusedPatternKey(adaptedPaths: adapted) ?? method.lycoris?.unusedPatternKey(adaptedPaths: adapted) {
                let targets = method.lora?.targetModules ?? method.lycoris!.targetModules
                throw PipelineError.usage("\(method.name).\(key) matches none of the adapted modules (\(method.name).target_modules "
                                          + "\(targets.joined(separator: ", ")) in every block)", path: options.config)
            }
            if method != nil {
                // PEFT's TEXT initialisation tokenizes the text with the base model's tokenizer, EOS included
                let textIds = try promptText.map { text in
                    try T5Tokenizer(path: modelDir.appendingPathComponent("spiece.model").path).encode(text).ids
                }
                try model.initializeAdapters(seed: s.seed, promptTextIds: textIds)
            }
            report("train-lora: \(base.description); products by \(base.products)")
            report("train-lora: \(method.map { $0.peftType } ?? "full fine-tune") on \(train.count) examples, "
                   + "\(model.trainableParameters.reduce(0) { $0 + $1.count }) trainable parameters"
                   + (full ? "" : model.encoderPrompt.map { " in a prompt of \($0.virtualTokens) rows" }
                      ?? model.decoderPrefix.map { " in a prefix of \($0.virtualTokens) positions" } ?? " in \(model.adaptedLayers.count) modules"))
            let loop = try TrainingLoop(model: model, train: train, validation: validation, settings: s,
                                        workDirectory: ws.workDirectory, group: group)
            if let rougeMetric, let method {
                let rouge = try ValidationROUGE(metric: rougeMetric, p: p, base: base, modelDirectory: modelDir,
                                                scratch: ws.workDirectory, group: group) {
                    try AdapterConfig(method: writtenMethod(p, method, model: model), baseModelNameOrPath: modelName(run))
                }
                try rouge.prepare(validation: validation, indices: loop.validationIndices)
                loop.generatedMetric = { try rouge.evaluate($0) }
            }
            let (log, summary) = try loop.run(resume: resume && !ws.isVerification)
            guard group.isLeader else { return .null }  // rank 0 writes the outputs
            try Data(log.joined().utf8).write(to: ws.url(for: "log.jsonl"))
            if let method {
                let adapterConfig = try AdapterConfig(method: writtenMethod(p, method, model: model), baseModelNameOrPath: modelName(run))
                try adapterConfig.write(to: ws.url(for: "adapter_config.json"))
                try Data(model.adapterSafeTensors()).write(to: ws.url(for: "adapter_model.safetensors"))
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
            result["kept"] = keptRecord(summary, keep: p.string("train.keep"), metric: s.metricForBestModel)
            return .object(result)
        }
    }

    /// The method as adapter_config.json records it: target_modules as the user gave them, or for "all-linear" the
    /// leaf names of the layers it expanded to in this model (q, k, v, o, wi_0, wi_1, wo for flan-t5).
    static func writtenMethod(_ p: ParameterReader, _ method: AdapterMethod, model: T5TrainingModel) -> AdapterMethod {
        let adapted = Set(model.adaptedLayers.map { $0.path.split(separator: ".").last.map(String.init) ?? $0.path }).sorted()
        switch method {
        case .lora(var c):
            if p.strings("lora.target_modules") == [allLinear] { c.targetModules = adapted }
            return .lora(c)
        case .ia3(var c):
            if p.strings("ia3.target_modules") == [allLinear] { c.targetModules = adapted }
            return .ia3(c)
        case .loha(var c):
            if p.strings("loha.target_modules") == [allLinear] { c.targetModules = adapted }
            return .loha(c)
        case .lokr(var c):
            if p.strings("lokr.target_modules") == [allLinear] { c.targetModules = adapted }
            return .lokr(c)
        case .promptTuning(let c), .pTuning(let c), .prefixTuning(let c):
            // PEFT records the base model's facts: token_dim, num_attention_heads, num_layers
            let fitted = c.fitted(dModel: model.config.dModel, heads: model.config.numHeads, layers: model.config.numLayers)
            if case .pTuning = method { return .pTuning(fitted) }
            if case .prefixTuning = method { return .prefixTuning(fitted) }
            return .promptTuning(fitted)
        }
    }

    public static let allLinear = "all-linear"

    /// PEFT's "all-linear": every linear layer of the blocks (those the model has), never the output layer.
    static func expandingAllLinear(_ targets: [String]) -> [String] {
        targets == [allLinear] ? T5LinearModule.allCases.map(\.rawValue) : targets
    }

    /// The PEFT method `train.mode` chooses, with its section's settings (nil: `full`), checked; errors name the
    /// pipeline's keys and the config file. Only the chosen method's section is read, so only it is in the key.
    public static func adapterMethod(_ p: ParameterReader, config: String?) throws -> AdapterMethod? {
        let method: AdapterMethod
        switch p.string("train.mode") {
        case "full": return nil
        case "ia3":
            method = .ia3(IA3Config(targetModules: expandingAllLinear(p.strings("ia3.target_modules")),
                                    feedforwardModules: p.strings("ia3.feedforward_modules")))
        case "loha", "lokr":
            let section = p.string("train.mode")
            var c = LycorisConfig(rank: p.int("\(section).r"), alpha: p.double("\(section).alpha"),
                                  targetModules: expandingAllLinear(p.strings("\(section).target_modules")),
                                  rankPattern: p.numbers("\(section).rank_pattern").mapValues { Int($0) },
                                  alphaPattern: p.numbers("\(section).alpha_pattern"))
            if section == "lokr" {
                c.decomposeBoth = p.bool("lokr.decompose_both")
                c.decomposeFactor = p.int("lokr.decompose_factor")
            }
            method = section == "loha" ? .loha(c) : .lokr(c)
        case "prompt_tuning":
            let text = p.string("prompt_tuning.prompt_tuning_init_text")
            method = .promptTuning(PromptConfig(virtualTokens: p.int("prompt_tuning.num_virtual_tokens"),
                                                initialization: PromptConfig.Initialization(rawValue: p.string("prompt_tuning.prompt_tuning_init"))!,
                                                initText: text.isEmpty ? nil : text))
        case "p_tuning":
            let hidden = p.int("p_tuning.encoder_hidden_size")
            method = .pTuning(PromptConfig(virtualTokens: p.int("p_tuning.num_virtual_tokens"), encoderHiddenSize: hidden))
        case "prefix_tuning":
            // encoder_hidden_size is recorded (PEFT's default, d_model) though without prefix_projection nothing uses it
            method = .prefixTuning(PromptConfig(virtualTokens: p.int("prefix_tuning.num_virtual_tokens"), encoderHiddenSize: 0))
        default:
            method = .lora(try loraConfig(p, config: config))
        }
        do { try method.validateAsPipelineSettings() } catch let e as PipelineError {
            throw PipelineError(e.status, e.message, path: config)
        }
        return method
    }

    /// `lora.*` as PEFT's LoraConfig, checked (errors name the pipeline's keys and the config file).
    public static func loraConfig(_ p: ParameterReader, config: String?) throws -> LoRAConfig {
        let lora = LoRAConfig(rank: p.int("lora.r"), alpha: p.double("lora.alpha"), dropout: p.double("lora.dropout"),
                              targetModules: expandingAllLinear(p.strings("lora.target_modules")), useRSLoRA: p.bool("lora.use_rslora"),
                              rankPattern: p.numbers("lora.rank_pattern").mapValues { Int($0) },
                              alphaPattern: p.numbers("lora.alpha_pattern"))
        do { try lora.validate(naming: LoRAConfig.pipelineName) } catch let e as PipelineError {
            throw PipelineError(e.status, e.message, path: config)
        }
        return lora
    }

    /// Which step's state was published and its validation loss (recorded in the manifest and the lock), and with
    /// `train.metric_for_best_model` other than the loss, that metric and its value there.
    static func keptRecord(_ summary: TrainingSummary, keep: String, metric: String = "loss") -> JSONValue {
        var kept: [String: JSONValue] = ["rule": .string(keep), "step": .int(summary.keptStep),
                                         "validation_loss": summary.keptValidationLoss.map { .double(Double($0)) } ?? .null]
        if metric != "loss" {
            kept["metric"] = .string(metric)
            kept["validation_\(metric)"] = summary.keptMetric.map { .double($0) } ?? .null
        }
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
