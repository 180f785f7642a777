import Dataset
import Failures
import Foundation
import JSON
import Kernels
import Pipeline
import SentencePiece
import T5

/// `generate`: summaries of the tokenised test split by the base model (`variant base`)
/// or by base + the trained adapter (`variant lora`), as `data/predictions/<variant>.jsonl`
/// rows `{"id", "prediction"}` in the split's order.
public enum GenerateStage {
    public enum Variant: String, CaseIterable, Sendable { case base, lora }

    /// Under mpirun the length-sorted batches are shared out among the ranks and rank 0 writes all the
    /// predictions in the split's order: the bytes of one process, so the key does not name the ranks.
    @discardableResult
    public static func run(_ options: StageOptions, variant: Variant, root: URL? = nil,
                           group: ProcessGroup = SingleProcess()) throws -> StageResult {
        // Format 3: the LoRA scale is PEFT's Double alpha/r (alpha/√r) rounded once (LoRA's `loraScale`); it
        // changes bits only for rsLoRA or an alpha that is not a Float.
        let run = try StageRun(stage: "generate", instance: "generate-\(variant.rawValue)", formatVersion: 4,
                               options: options, root: root)
        run.group = group
        let settings = try generationSettings(run.params)
        let threads = run.params.int("runtime.threads")
        let batchSize = run.params.int("generation.batch_size")
        let base = try BaseWeights(run.params, section: "generation", config: options.config)
        let limitParam = run.params.int("generation.limit")
        guard batchSize > 0, threads > 0, limitParam >= 0 else {
            throw PipelineError.usage("generation.batch_size and runtime.threads must be > 0, generation.limit ≥ 0", path: options.config)
        }
        let tokens = try run.input("test.safetensors", path: run.dataPath("tokens/test.safetensors"))
        // read from the store entries of the runs this configuration's lock records (LockedInputs)
        let modelDir = try run.inputFolder(run.dataPath("model"), files: ["config.json", "model.safetensors", "spiece.model"])
        let adapterDir = variant == .lora
            ? try run.inputFolder(run.dataPath("adapter"), files: ["adapter_config.json", "adapter_model.safetensors"]) : nil
        let name = "\(variant.rawValue).jsonl"
        return try run.execute(outputs: [StageOutput(name, at: run.dataPath("predictions/\(name)"))]) { ws in
            Parallel.setThreads(threads)
            let model = try T5Model.load(directory: modelDir.path, weightPrecision: base.precision, nf4: base.nf4)
            if variant == .lora {
                try model.apply(try PEFTAdapter.load(directory: adapterDir!.path))
            }
            var file = try TokenFile.read(path: tokens.path, vocabularySize: model.config.vocabSize)
            if limitParam > 0, limitParam < file.count {
                file.ids = Array(file.ids.prefix(limitParam))
                file.sources = Array(file.sources.prefix(limitParam))
            }
            let tokenizer = try T5Tokenizer(path: modelDir.appendingPathComponent("spiece.model").path)
            let predictions = try summarize(file.sources, model: model, tokenizer: tokenizer, settings: settings,
                                            batchSize: batchSize, label: "generate \(variant.rawValue)", group: group)
            guard group.isLeader else { return .null }  // rank 0 writes the predictions
            var out = ""
            for (id, text) in zip(file.ids, predictions) { out += JSONLines.line([("id", id), ("prediction", text)]) }
            try Data(out.utf8).write(to: ws.url(for: name))
            return ["examples": .int(predictions.count),
                    "mean_prediction_words": .double(Double(predictions.map { $0.split(separator: " ").count }.reduce(0, +))
                                                     / Double(max(1, predictions.count)))]
        }
    }

    /// Generates for every source, in batches of similar length (less padding), and returns
    /// the decoded texts in the sources' order. In a group of W ranks, rank r generates batches r, r + W, …
    /// (a batch's output depends on that batch alone); rank 0 gets every text, the others an empty list.
    public static func summarize(_ sources: [[Int32]], model: T5Model, tokenizer: T5Tokenizer,
                                 settings: GenerationSettings, batchSize: Int, label: String,
                                 group: ProcessGroup = SingleProcess()) throws -> [String] {
        let generator = Generator(model: model)
        let order = sources.indices.sorted { (sources[$0].count, $0) < (sources[$1].count, $1) }
        let batches = stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min(order.count, $0 + batchSize)]) }
        var texts = [String](repeating: "", count: sources.count)
        let mine = batches.indices.filter { $0 % group.size == group.rank }
        let progress = Progress(label, total: mine.reduce(0) { $0 + batches[$1].count }, unit: "summaries")
        for number in mine {
            let batch = batches[number]
            let outputs = try generator.generate(batch.map { sources[$0] }, settings: settings)
            // Ids past the tokenizer's pieces and sentinels are the embedding's padding rows
            // (T5 rounds vocab_size up); like special tokens they have no text.
            for (i, ids) in zip(batch, outputs) { texts[i] = try tokenizer.decode(ids.filter { Int($0) < tokenizer.vocabularySize }) }
            // Give the batch's freed buffers back to the system: glibc kept them (in per-thread arenas), and RSS grew
            // ~130 MB/s, 9.5 GB for 100,000 dialogues, while the live heap stayed near 10 MB.
            FreedMemory.release()
            progress.advance(by: batch.count)
        }
        progress.finish()
        guard group.size > 1 else { return texts }
        // Each rank sends its texts (in its batches' order) as one JSON array; rank 0 puts them in place.
        let sent = JSONValue.array(mine.flatMap { batches[$0] }.map { .string(texts[$0]) }).canonical
        let received = try group.gather(Array(sent.utf8))
        guard group.isLeader else { return [] }
        for (rank, bytes) in received.enumerated() {
            let indices = batches.indices.filter { $0 % group.size == rank }.flatMap { batches[$0] }
            guard case .array(let items) = try JSONValue.parse(Data(bytes)), items.count == indices.count else {
                throw PipelineError.internal("rank \(rank) sent \(bytes.count) bytes that are not its \(indices.count) summaries")
            }
            for (i, item) in zip(indices, items) { texts[i] = item.stringValue ?? "" }
        }
        return texts
    }

    static func generationSettings(_ p: ParameterReader) throws -> GenerationSettings {
        GenerationSettings(numBeams: p.int("generation.num_beams"), maxNewTokens: p.int("generation.max_new_tokens"),
                           minNewTokens: p.int("generation.min_new_tokens"),
                           lengthPenalty: Float(p.double("generation.length_penalty")),
                           earlyStopping: p.bool("generation.early_stopping") ? .whenBeamsFull : .heuristic,
                           noRepeatNgramSize: p.int("generation.no_repeat_ngram_size"),
                           repetitionPenalty: Float(p.double("generation.repetition_penalty")))
    }

    /// Standalone use: `generate summarize --model DIR [--adapter DIR] --input FILE.jsonl [--output FILE.jsonl]`;
    /// prompts are built from the configuration's template, nothing is cached; `output` "-" is stdout.
    public static func standalone(config: PipelineConfig, model modelDir: String, adapter: String?, input: String,
                                  output: String, limit: Int?) throws {
        let p = ParameterReader(config)
        let settings = try generationSettings(p)
        Parallel.setThreads(max(1, p.int("runtime.threads")))
        let rows = try JSONLines.readStringFields(contentsOf: URL(fileURLWithPath: input), required: ["id", "dialogue"], unique: "id")
        guard !rows.isEmpty else { throw PipelineError.badInput("no rows to summarize", path: input) }
        let kept = limit.map { Array(rows.prefix($0)) } ?? rows
        let base = try BaseWeights(p, section: "generation", config: config.path)
        let model = try T5Model.load(directory: modelDir, weightPrecision: base.precision, nf4: base.nf4)
        if let adapter { try model.apply(try PEFTAdapter.load(directory: adapter)) }
        let tokenizer = try T5Tokenizer(path: URL(fileURLWithPath: modelDir).appendingPathComponent("spiece.model").path)
        let split = SplitTokenizer(prompt: p.string("tokenize.prompt"), subsetEvery: 1, subsetOffset: 0,
                                   maxSourceLength: p.int("tokenize.max_source_length"), maxTargetLength: 2)
        let sources = kept.map { split.withEOS(tokenizer.processor.encode(split.promptText(for: $0["dialogue"]!)),
                                                limit: split.maxSourceLength).0 }
        let texts = try summarize(sources, model: model, tokenizer: tokenizer, settings: settings,
                                  batchSize: max(1, p.int("generation.batch_size")), label: "generate")
        var out = ""
        for (row, text) in zip(kept, texts) { out += JSONLines.line([("id", row["id"]!), ("prediction", text)]) }
        if output == "-" {
            FileHandle.standardOutput.write(Data(out.utf8))
        } else {
            try AtomicFile.write(out, to: URL(fileURLWithPath: output))
        }
    }
}
