import Dataset
import Failures
import Foundation
import JSON
import Pipeline
import SentencePiece

/// `tokenize`: SAMSum JSONL splits + the model's spiece.model → token files with the prompt,
/// the subset and the truncation from pipeline.yaml.
public enum TokenizeStage {
    public static let splits = ["train", "validation", "test"]

    @discardableResult
    public static func run(_ options: StageOptions, root: URL? = nil) throws -> StageResult {
        let run = try StageRun(stage: "tokenize", formatVersion: 1, options: options, root: root)
        let p = run.params
        let tokenizer = SplitTokenizer(
            prompt: p.string("tokenize.prompt"), subsetEvery: p.int("tokenize.subset_every"),
            subsetOffset: p.int("tokenize.subset_offset"), maxSourceLength: p.int("tokenize.max_source_length"),
            maxTargetLength: p.int("tokenize.max_target_length"))
        guard tokenizer.subsetEvery > 0, (0..<tokenizer.subsetEvery).contains(tokenizer.subsetOffset) else {
            throw PipelineError.usage("tokenize.subset_offset must be in 0..<tokenize.subset_every (> 0)", path: options.config)
        }
        guard tokenizer.maxSourceLength >= 2, tokenizer.maxTargetLength >= 2 else {
            throw PipelineError.usage("tokenize.max_source_length and max_target_length must be at least 2", path: options.config)
        }
        guard tokenizer.prompt.contains("{dialogue}") else {
            throw PipelineError.usage("tokenize.prompt must contain {dialogue}", path: options.config)
        }
        let spm = try run.input("spiece.model", path: run.dataPath("model/spiece.model"))
        var inputs: [String: URL] = [:]
        for s in splits { inputs[s] = try run.input(s, path: run.dataPath("samsum/\(s).jsonl")) }

        return try run.execute(outputs: splits.map { StageOutput("\($0).safetensors", at: run.dataPath("tokens/\($0).safetensors")) }) { ws in
            let processor = try SentencePieceProcessor(path: spm.path)
            let tokenizerHash = try Digest.sha256(fileAt: spm)
            let threads = ProcessInfo.processInfo.activeProcessorCount
            var summary: [String: JSONValue] = ["tokenizer_sha256": .string(tokenizerHash)]
            for split in splits {
                let examples = try SummarizationExample.readJSONL(path: inputs[split]!.path)
                let meta = ["split": split, "tokenizer_sha256": tokenizerHash, "prompt": tokenizer.prompt,
                            "subset_every": String(tokenizer.subsetEvery), "subset_offset": String(tokenizer.subsetOffset),
                            "max_source_length": String(tokenizer.maxSourceLength),
                            "max_target_length": String(tokenizer.maxTargetLength)]
                let r = tokenizer.tokenize(examples, metadata: meta) { processor.encode(batch: $0, threads: threads) }
                guard r.file.count > 0 else {
                    throw PipelineError.badInput("the \(split) split has no examples after subsetting", path: inputs[split]!.path)
                }
                try r.file.write(to: ws.url(for: "\(split).safetensors"))
                let src = LengthSummary(r.file.sources.map(\.count)), lab = LengthSummary(r.file.labels.map(\.count))
                report("tokenize \(split): \(r.file.count) of \(examples.count) examples; source tokens \(src); "
                       + "label tokens \(lab); truncated \(r.truncatedSources) sources, \(r.truncatedLabels) labels")
                summary[split] = ["examples": .int(r.file.count), "of": .int(examples.count),
                                  "truncated_sources": .int(r.truncatedSources), "truncated_labels": .int(r.truncatedLabels),
                                  "source_lengths": lengths(src), "label_lengths": lengths(lab)]
            }
            return .object(summary)
        }
    }

    static func lengths(_ s: LengthSummary) -> JSONValue {
        ["min": .int(s.min), "median": .int(s.median), "p95": .int(s.p95), "max": .int(s.max)]
    }
}
