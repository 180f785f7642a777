// One full-size LoRA training step timed in-process (run by scripts/bench/train_bench.sh in a release build).
// Skipped unless T5TRAINING_BENCH_MODEL names a model directory; it asserts nothing about time.
// Real SAMSum shapes are timed by the train-bench executable (scripts/bench/train_bench_samsum.sh).
import Foundation
import XCTest
import LoRA
import Training
import SafeTensors
import T5
import T5Training
import Kernels

final class TrainingStepBenchmark: XCTestCase {
    func testLoRATrainingStepAtBenchTorchShapes() throws {
        guard let directory = ProcessInfo.processInfo.environment["T5TRAINING_BENCH_MODEL"] else {
            throw XCTSkip("set T5TRAINING_BENCH_MODEL to a model directory to run the benchmark")
        }
        let env = ProcessInfo.processInfo.environment
        let threads = Int(env["T5TRAINING_BENCH_THREADS"] ?? "") ?? 2
        let steps = Int(env["T5TRAINING_BENCH_STEPS"] ?? "") ?? 3
        let (b, s, t) = (8, 256, 64)
        let bench = try BenchModel(directory: directory, threads: threads)
        let (config, settings, model) = (bench.config, bench.settings, bench.model)
        var rng = PhiloxGenerator(seed: 43)
        let sources = (0..<b).map { _ in (0..<s).map { _ in Int32.random(in: 3..<32000, using: &rng) } }
        let targets = (0..<b).map { _ in (0..<t).map { _ in Int32.random(in: 3..<32000, using: &rng) } }
        let batch = try UnpaddedBatch(sources: sources, targets: targets, vocabSize: config.vocabSize)
        func step() throws -> (Float, Double) { try bench.step(batch) }
        _ = try step()  // warm-up: sizes the activation arena
        var times: [Double] = []
        var losses: [Float] = []
        for _ in 0..<steps {
            let (loss, seconds) = try step()
            times.append(seconds)
            losses.append(loss)
        }
        let sorted = times.sorted()
        let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        let flops = TrainingFlops.perStep(config: config, batchSize: b, sourceLength: s, targetLength: t, mode: .lora(settings))
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM") }.map(String.init) ?? "VmHWM: ?"
        let report: [String: Any] = [
            "median_s": median, "all_s": times, "losses": losses.map(Double.init), "threads": threads,
            "samples_per_s": Double(b) / median, "trainable_params": bench.params.reduce(0) { $0 + $1.count },
            "gflop_per_step": flops.total / 1e9, "gflop_forward": flops.forward / 1e9,
            "gflop_backward_input": flops.backwardInput / 1e9, "gflop_backward_parameters": flops.backwardParameters / 1e9,
            "gflops_achieved": flops.total / median / 1e9, "peak_rss": peak,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print("T5TRAINING_BENCH " + String(decoding: json, as: UTF8.self))
        if let out = env["T5TRAINING_BENCH_JSON"] { try json.write(to: URL(fileURLWithPath: out)) }
        XCTAssertTrue(losses.allSatisfy(\.isFinite))
    }
}

/// The benchmarks' model: LoRA r 32 on q and v (alpha 32, dropout 0.05), T5 dropout 0.1, A drawn as PEFT
/// does from a seeded Philox stream; `step` is forward, backward, clipping and one AdamW update, timed.
private final class BenchModel {
    let config: T5Config
    let settings = LoRAConfig(rank: 32, alpha: 32, dropout: 0.05, targetModules: ["q", "v"])
    let model: T5TrainingModel
    let params: [Parameter]
    private var optimizer: AdamW

    init(directory: String, threads: Int) throws {
        config = try T5Config.load(path: directory + "/config.json")
        let file = try SafeTensorsFile(path: directory + "/model.safetensors")
        model = try T5TrainingModel(config: config, file: file, mode: .lora(settings), dropoutRate: 0.1, threads: threads)
        params = model.trainableParameters
        var rng = PhiloxGenerator(seed: 42)
        for p in params where p.name.contains("lora_A") {
            let bound = Float(kaimingUniformBound(fanIn: p.shape[1]))
            for i in 0..<p.count { p.value[i] = Float.random(in: -bound...bound, using: &rng) }
        }
        optimizer = AdamW(hyper: AdamWHyperparameters(), tensorSizes: params.map(\.count))
    }

    func step(_ batch: UnpaddedBatch) throws -> (loss: Float, seconds: Double) {
        let start = Date()
        model.zeroGradients()
        let loss = try model.forwardBackward(batch)
        clipGradientNorm(params.map { UnsafeMutableBufferPointer(start: $0.gradient!, count: $0.count) }, maxNorm: 1)
        let c = optimizer.beginStep(learningRate: 1e-3)
        for (i, p) in params.enumerated() {
            optimizer.update(tensor: i, parameter: UnsafeMutableBufferPointer(start: p.value, count: p.count),
                             gradient: UnsafeBufferPointer(start: p.gradient!, count: p.count), coefficients: c)
        }
        return (loss, Date().timeIntervalSince(start))
    }
}
