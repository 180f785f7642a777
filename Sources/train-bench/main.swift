// The Swift side of scripts/bench/train_bench_samsum.sh: training steps on the reference run's batches.
//
//   train-bench plan --lengths TSV --model DIR [--config pipeline.yaml] [--steps 20] [--group-by-length] --out PLAN.json
//       The reference run's batches as train-lora forms them: the tokenize subset of lengths.tsv's train split
//       (index % subset_every == subset_offset), BatchPlan with train.* of the config (seed, batch size,
//       accumulation, epochs, grouping), `--steps` optimiser steps spread evenly over the whole run, and the
//       validation pass's batches (TrainingLoop.validationBatches). Token ids are random (seed 42) at the
//       real lengths, </s> last. Also prints the whole run's FLOPs on the real tokens and padded to each
//       batch's longest, at the sizes of the model in DIR.
//   train-bench tokens --lengths TSV [--config pipeline.yaml] --out DIR
//       DIR/{train,validation}.safetensors: token files of the tokenize subset of lengths.tsv at the real lengths,
//       random ids (seed 42), </s> last: what train-lora reads, for timing the product itself
//       (scripts/bench/mpi_scaling.sh).
//   train-bench serve --model DIR --plan PLAN.json [--config pipeline.yaml] [--set key=value ...] [--threads 2]
//       Loads the model with train.mode's adapter (LoRA, IA3, LoHa, LoKr, ...; `--set train.mode=loha`) as
//       train-lora does, then answers stdin lines with one JSON line each:
//       `step I` (forward, backward, clipping and an AdamW update on the plan's batch I: seconds, loss, GFLOP
//       (the base model's, plus LoRA's products: other methods' adapters are not counted),
//       and the seconds and GFLOP of the per-head attention part), `validate` (the validation pass: seconds,
//       loss, forward GFLOP, and the same attention figures), `f32-product openblas|onednn` (the library of the
//       fp32 products, and of the bf16 emulation's, from then on: an A/B of two libraries in one process, step
//       for step, on a machine whose speed drifts), `quit` (peak RSS).
//       The driver times the other side between commands.
//   train-bench padded --model DIR [--threads 2] [--steps 3] [--json OUT.json]
//       One LoRA step (r 32 on q and v, alpha 32, LoRA dropout 0.05, T5 dropout 0.1, AdamW lr 1e-3 and weight
//       decay 0.01, clipping at 1) on 8 random sequences of 256 source and 64 target tokens, the fixed shape
//       scripts/reference/bench_torch.py times: one warm-up step, then `--steps` timed; prints one JSON line
//       (median seconds, GFLOP/s by the count, peak RSS). Run by scripts/bench/train_bench.sh.
import Foundation
import Dataset
import JSON
import Kernels
import PEFT
import Pipeline
import SafeTensors
import Stages
import T5
import T5Training
import Training

struct Plan: Codable {
    struct Batch: Codable {
        var step: Int
        var sources: [[Int32]]
        var targets: [[Int32]]
        /// GFLOP by the count (TrainingFlops) on the real tokens, and padded to the batch's longest.
        var gflop = 0.0, gflopPadded = 0.0
    }
    var totalSteps: Int
    var stepsPerEpoch: Int
    var validationPasses: Int
    var trainExamples: Int
    var groupByLength: Bool
    var seed: Int
    var batches: [Batch]
    var validation: [Batch]
    /// The whole run's GFLOP (every step), on the real tokens and padded.
    var runGFLOP = 0.0, runGFLOPPadded = 0.0
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("train-bench: error: \(message)\n".utf8))
    exit(64)
}

/// Every value given with `name` (a repeatable option such as `--set key=value`), in order.
func options(_ name: String, in args: [String]) -> [String] {
    args.indices.filter { args[$0] == name }.map { i in
        guard i + 1 < args.count else { fail("\(name) needs a value") }
        return args[i + 1]
    }
}

func option(_ name: String, in args: [String]) -> String? {
    guard let i = args.firstIndex(of: name) else { return nil }
    guard i + 1 < args.count else { fail("\(name) needs a value") }
    return args[i + 1]
}

/// lengths.tsv rows of one split: (example_index, source tokens, label tokens).
func readLengths(_ path: String, split: String) -> [(index: Int, source: Int, label: Int)] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("\(path): cannot read") }
    var rows: [(Int, Int, Int)] = []
    for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("split\t") {
        let f = line.split(separator: "\t")
        guard f.count == 4, let i = Int(f[1]), let s = Int(f[2]), let l = Int(f[3]), s > 0, l > 0 else {
            fail("\(path): bad line '\(line)'")
        }
        if f[0] == split { rows.append((i, s, l)) }
    }
    return rows
}

func makePlan(_ args: [String]) throws {
    guard let lengthsPath = option("--lengths", in: args), let modelDirectory = option("--model", in: args),
          let out = option("--out", in: args) else {
        fail("plan needs --lengths TSV, --model DIR and --out FILE")
    }
    let p = ParameterReader(try PipelineConfig.load(path: option("--config", in: args) ?? "pipeline.yaml"))
    let every = p.int("tokenize.subset_every"), offset = p.int("tokenize.subset_offset")
    let groupByLength = args.contains("--group-by-length") || p.bool("train.group_by_length")
    let wanted = Int(option("--steps", in: args) ?? "20") ?? 20
    func subset(_ split: String) -> [(index: Int, source: Int, label: Int)] {
        readLengths(lengthsPath, split: split).filter { $0.index % every == offset }.sorted { $0.index < $1.index }
    }
    let train = subset("train"), validation = subset("validation")
    guard !train.isEmpty, !validation.isEmpty else { fail("\(lengthsPath): no train or validation rows in the subset") }
    let s = TrainLoRAStage.trainingSettings(p)
    let plan = try BatchPlan(lengths: train.map(\.source), batchSize: s.batchSize, gradAccum: s.gradAccum,
                                epochs: s.epochs, maxSteps: s.maxSteps, seed: s.seed, groupByLength: groupByLength)
    let model = try T5Config.load(path: modelDirectory + "/config.json")
    let settings = try TrainLoRAStage.loraConfig(p, config: nil)
    /// GFLOP of one micro-batch by the count, at the model's sizes: on the real tokens, and padded to its longest.
    func gflop(_ examples: [Int]) -> (real: Double, padded: Double) {
        let s = examples.map { train[$0].source }, t = examples.map { train[$0].label }
        let real = TrainingFlops.perStep(config: model, sourceLengths: s, targetLengths: t, mode: .lora(settings)).total
        let padded = TrainingFlops.perStep(config: model, batchSize: examples.count, sourceLength: s.max()!,
                                           targetLength: t.max()!, mode: .lora(settings)).total
        return (real / 1e9, padded / 1e9)
    }
    var random = PhiloxGenerator(seed: 42)
    func ids(_ count: Int) -> [Int32] { (0..<count).map { $0 == count - 1 ? 1 : Int32.random(in: 3..<32000, using: &random) } }
    let sampled = min(wanted, plan.totalSteps)
    let steps = (0..<sampled).map { $0 * plan.totalSteps / sampled }
    let batches = steps.map { step in
        let micro = plan.microBatches(ofStep: step)
        let examples = Array(micro.joined())
        let work = micro.map(gflop)
        return Plan.Batch(step: step, sources: examples.map { ids(train[$0].source) }, targets: examples.map { ids(train[$0].label) },
                          gflop: work.reduce(0) { $0 + $1.real }, gflopPadded: work.reduce(0) { $0 + $1.padded })
    }
    let validationBatches = TrainingLoop.validationBatches(sourceLengths: validation.map(\.source), batchSize: p.int("train.batch_size"))
        .map { Plan.Batch(step: -1, sources: $0.map { ids(validation[$0].source) }, targets: $0.map { ids(validation[$0].label) }) }
    let epochs = (plan.totalSteps + plan.stepsPerEpoch - 1) / plan.stepsPerEpoch
    var result = Plan(totalSteps: plan.totalSteps, stepsPerEpoch: plan.stepsPerEpoch, validationPasses: epochs,
                      trainExamples: train.count, groupByLength: groupByLength, seed: p.int("train.seed"),
                      batches: batches, validation: validationBatches)
    for step in 0..<plan.totalSteps {
        for micro in plan.microBatches(ofStep: step) {
            let work = gflop(micro)
            result.runGFLOP += work.real
            result.runGFLOPPadded += work.padded
        }
    }
    try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: out))
    print("train-bench: \(batches.count) of \(plan.totalSteps) steps, \(validationBatches.count) validation batches -> \(out)")
    print(String(format: "train-bench: the whole run (group_by_length %@): %.0f TFLOP on the real tokens, %.0f TFLOP padded "
                 + "to each batch's longest (%.2fx)", groupByLength ? "true" : "false", result.runGFLOP / 1e3,
                 result.runGFLOPPadded / 1e3, result.runGFLOPPadded / result.runGFLOP))
}

func reply(_ object: JSONValue) {
    FileHandle.standardOutput.write(Data((object.canonical + "\n").utf8))  // unbuffered: the driver waits for each line
}

func peakRSSMiB() -> Double { residentMiB("VmHWM") }

/// /proc/self/status's `field` (VmRSS: resident now, VmHWM: the peak) in MiB.
func residentMiB(_ field: String) -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
          let kb = Double(line.split(separator: " ").dropFirst().first { !$0.isEmpty && Double($0) != nil } ?? "") else { return .nan }
    return kb / 1024
}

func serve(_ args: [String]) throws {
    guard let directory = option("--model", in: args), let planPath = option("--plan", in: args) else {
        fail("serve needs --model DIR and --plan FILE")
    }
    let p = ParameterReader(try PipelineConfig.load(path: option("--config", in: args) ?? "pipeline.yaml",
                                                    overrides: options("--set", in: args)))
    let threads = Int(option("--threads", in: args) ?? "2") ?? 2
    let plan = try JSONDecoder().decode(Plan.self, from: Data(contentsOf: URL(fileURLWithPath: planPath)))
    let config = try T5Config.load(path: directory + "/config.json")
    let file = try SafeTensorsFile(path: directory + "/model.safetensors")
    // train.mode's method with its section's settings, as train-lora reads them (`--set train.mode=loha`)
    guard let method = try TrainLoRAStage.adapterMethod(p, config: nil) else { fail("train.mode full is not benchmarked here") }
    let mode = TrainingMode.adapter(method), training = TrainLoRAStage.trainingSettings(p)
    // --weights-dtype overrides the config's train.weights_dtype (the benchmark times both modes).
    let dtype = option("--weights-dtype", in: args) ?? p.string("train.weights_dtype")
    guard let precision = WeightMatrix.Precision(rawValue: dtype) else { fail("--weights-dtype must be f32, bf16 or nf4") }
    let model = try T5TrainingModel(config: config, file: file, mode: mode, dropoutRate: Float(p.double("train.dropout_rate")),
                                    dropoutSeed: UInt64(plan.seed), threads: threads, basePrecision: precision)
    model.labelSmoothing = Float(p.double("train.label_smoothing"))
    try model.initializeAdapters(seed: UInt64(plan.seed))
    let params = model.trainableParameters
    let optimizer = try Optimizer(params: params, settings: training, totalSteps: plan.totalSteps)
    func batch(_ b: Plan.Batch) throws -> UnpaddedBatch {
        try UnpaddedBatch(sources: b.sources, targets: b.targets, vocabSize: config.vocabSize, padTokenId: config.padTokenId,
                          decoderStartTokenId: config.decoderStartTokenId, label: "plan batch")
    }
    let batches = try plan.batches.map(batch), validation = try plan.validation.map(batch)
    reply(["ready": true, "method": .string(method.peftType), "threads": .int(threads), "trainable_parameters": .int(params.reduce(0) { $0 + $1.count }),
           "weights_dtype": .string(dtype), "product": .string(precision == .f32 ? F32GEMM.description : BF16GEMM.description),
           "base_weight_bytes": .int(model.weights.baseWeightBytes), "rss_after_load_mib": .double(residentMiB("VmRSS")),
           "bf16_cpu_features": .string(BF16GEMM.cpuFeatures),
           "bf16_dot_over_fma": BF16GEMM.dotProductOverFMA.map { .double($0) } ?? .null])
    while let line = readLine() {
        let words = line.split(separator: " ")
        switch words.first {
        case "step":
            guard words.count == 2, let i = Int(words[1]), batches.indices.contains(i) else { fail("bad command '\(line)'") }
            let start = Date()
            model.zeroGradients()
            let loss = try model.forwardBackward(batches[i])
            _ = optimizer.clipGradients()
            optimizer.update(step: plan.batches[i].step)
            let seconds = Date().timeIntervalSince(start)
            let flops = TrainingFlops.perStep(config: config, sourceLengths: batches[i].sourceLengths,
                                              targetLengths: batches[i].targetLengths, mode: mode)
            reply(["step": .int(i), "seconds": .double(seconds), "loss": .double(Double(loss)),
                   "gflop": .double(flops.total / 1e9), "attention_s": .double(model.lastAttentionSeconds),
                   "attention_gflop": .double(flops.attention / 1e9)])
        case "validate":
            let start = Date()
            var total = 0.0, tokens = 0, attention = 0.0, perBatch: [Double] = [], gflop = 0.0, attentionGflop = 0.0
            // longest first, as train-lora's validation pass runs them (TrainingLoop.validationLoss)
            for b in validation.reversed() {
                let batchStart = Date()
                total += Double(try model.loss(b)) * Double(b.labelledTokens)
                perBatch.append(Date().timeIntervalSince(batchStart))
                tokens += b.labelledTokens
                attention += model.lastAttentionSeconds
                let flops = TrainingFlops.perStep(config: config, sourceLengths: b.sourceLengths,
                                                  targetLengths: b.targetLengths, mode: mode)
                gflop += flops.forward / 1e9
                attentionGflop += flops.attention / 3 / 1e9  // forward's third of the per-head products
            }
            reply(["validate": true, "seconds": .double(Date().timeIntervalSince(start)),
                   "loss": .double(total / Double(max(tokens, 1))), "attention_s": .double(attention),
                   "gflop": .double(gflop), "attention_gflop": .double(attentionGflop),
                   "batch_s": .array(perBatch.map(JSONValue.double))])
        case "f32-product":
            // A/B on one process: the fp32 products' library (the bf16 emulation's too) from now on
            guard words.count == 2, ["openblas", "onednn"].contains(words[1]) else { fail("bad command '\(line)'") }
            if words[1] == "openblas" {
                F32GEMM.use(.openBLAS)
            } else {
                guard let name = F32GEMM.oneDNNImplementation else { fail("oneDNN offers no fast fp32 kernel on this CPU") }
                F32GEMM.use(.oneDNN(name))
            }
            reply(["f32_product": .string(F32GEMM.description)])
        case "quit":
            reply(["peak_rss_mib": .double(peakRSSMiB())])
            return
        default:
            fail("unknown command '\(line)'")
        }
    }
}

func padded(_ args: [String]) throws {
    guard let directory = option("--model", in: args) else { fail("padded needs --model DIR") }
    let threads = Int(option("--threads", in: args) ?? "2") ?? 2, steps = Int(option("--steps", in: args) ?? "3") ?? 3
    guard threads > 0, steps > 0 else { fail("--threads and --steps must be positive") }
    let (b, s, t) = (8, 256, 64)
    let config = try T5Config.load(path: directory + "/config.json")
    let settings = LoRAConfig(rank: 32, alpha: 32, dropout: 0.05, targetModules: ["q", "v"])
    let model = try T5TrainingModel(config: config, file: try SafeTensorsFile(path: directory + "/model.safetensors"),
                                    mode: .lora(settings), dropoutRate: 0.1, threads: threads)
    try model.initializeAdapters(seed: 42)
    var training = TrainingSettings()
    training.learningRate = 1e-3; training.weightDecay = 0.01; training.schedule = .constant
    let params = model.trainableParameters
    let optimizer = try Optimizer(params: params, settings: training, totalSteps: steps + 1)
    var random = PhiloxGenerator(seed: 43)
    let vocabulary = Int32(min(config.vocabSize, 32_000))
    func ids(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32.random(in: 3..<vocabulary, using: &random) } }
    let batch = try UnpaddedBatch(sources: (0..<b).map { _ in ids(s) }, targets: (0..<b).map { _ in ids(t) },
                                  vocabSize: config.vocabSize)
    var times: [Double] = [], losses: [Double] = []
    for step in 0...steps {  // step 0 warms up: it sizes the activation arena
        let start = Date()
        model.zeroGradients()
        let loss = try model.forwardBackward(batch)
        _ = optimizer.clipGradients()
        optimizer.update(step: step)
        if step > 0 { times.append(Date().timeIntervalSince(start)); losses.append(Double(loss)) }
    }
    guard losses.allSatisfy(\.isFinite) else { fail("a loss is not finite: \(losses)") }
    let sorted = times.sorted()
    let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    let flops = TrainingFlops.perStep(config: config, batchSize: b, sourceLength: s, targetLength: t, mode: .lora(settings))
    let result: JSONValue = [
        "median_s": .double(median), "all_s": .array(times.map(JSONValue.double)), "losses": .array(losses.map(JSONValue.double)),
        "threads": .int(threads), "samples_per_s": .double(Double(b) / median),
        "trainable_params": .int(params.reduce(0) { $0 + $1.count }), "gflop_per_step": .double(flops.total / 1e9),
        "gflop_forward": .double(flops.forward / 1e9), "gflop_backward_input": .double(flops.backwardInput / 1e9),
        "gflop_backward_parameters": .double(flops.backwardParameters / 1e9),
        "gflops_achieved": .double(flops.total / median / 1e9), "peak_rss_mib": .double(peakRSSMiB()),
        "product": .string(F32GEMM.description),
    ]
    print(result.canonical)
    if let out = option("--json", in: args) { try Data(result.canonical.utf8).write(to: URL(fileURLWithPath: out)) }
}

func makeTokens(_ args: [String]) throws {
    guard let lengthsPath = option("--lengths", in: args), let out = option("--out", in: args) else {
        fail("tokens needs --lengths TSV and --out DIR")
    }
    let p = ParameterReader(try PipelineConfig.load(path: option("--config", in: args) ?? "pipeline.yaml"))
    let every = p.int("tokenize.subset_every"), offset = p.int("tokenize.subset_offset")
    var random = PhiloxGenerator(seed: 42)
    func ids(_ count: Int) -> [Int32] { (0..<count).map { $0 == count - 1 ? 1 : Int32.random(in: 3..<32000, using: &random) } }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for split in ["train", "validation"] {
        let rows = readLengths(lengthsPath, split: split).filter { $0.index % every == offset }.sorted { $0.index < $1.index }
        let file = TokenFile(ids: rows.map { "\(split)-\($0.index)" }, exampleIndex: rows.map { Int32($0.index) },
                             sources: rows.map { ids($0.source) }, labels: rows.map { ids($0.label) },
                             metadata: ["source": "train-bench tokens (random ids at lengths.tsv's lengths)"])
        try file.write(to: URL(fileURLWithPath: out).appendingPathComponent("\(split).safetensors"))
        print("train-bench: \(rows.count) \(split) examples -> \(out)/\(split).safetensors")
    }
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    switch args.first {
    case "plan": try makePlan(args)
    case "tokens": try makeTokens(args)
    case "serve": try serve(args)
    case "padded": try padded(args)
    default: fail("usage: train-bench plan --lengths TSV --model DIR --out FILE [--steps N] | tokens --lengths TSV --out DIR | "
                  + "serve --model DIR --plan FILE [--set k=v ...] [--threads N] | padded --model DIR [--threads N] [--steps N] [--json FILE]")
    }
} catch {
    fail("\(error)")
}
