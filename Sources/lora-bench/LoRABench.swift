// Micro-benchmarks of the per-step work outside the model's products at flan-t5-base scale: the
// Training library's AdamW and gradient clipping, and the trainer's dropout (T5Training.DropoutMask, the masks
// train-lora really applies). scripts/bench/lora_bench.sh runs it beside the PyTorch equivalents
// (scripts/bench/lora_bench_torch.py), both on 2 threads.
import Foundation
import Kernels
import T5Training
import Training

@main
struct LoRABench {
    static func time(_ label: String, repeats: Int, _ body: () -> Void) -> Double {
        body()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { body() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats)
        print(String(format: "%@: %.3f ms", label, seconds * 1e3))
        return seconds
    }

    static func main() {
        Parallel.setThreads(2) // torch.set_num_threads(2) on the PyTorch side

        // 72 modules × (lora_A 32×768 + lora_B 768×32) = 3,538,944 parameters.
        let sizes = Array(repeating: 32 * 768, count: 144)
        var g = PhiloxGenerator(seed: 1)
        var params = sizes.map { n -> [Float] in var a = [Float](repeating: 0, count: n); a.withUnsafeMutableBufferPointer { g.fillUniform($0) }; return a }
        // as the trainer holds them: one buffer per tensor, updated in place (Optimizer's calls)
        let values = params.map { a -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: a.count); _ = b.initialize(from: a); return b
        }
        let grads = params.map { a -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: a.count); _ = b.initialize(from: a.map { $0 - 0.5 }); return b
        }
        params = []
        var optimizer = AdamW(tensorSizes: sizes)
        _ = time("adamw_step_3538944", repeats: 20) {
            let c = optimizer.beginStep(learningRate: 1e-3)
            for i in values.indices { optimizer.update(tensor: i, parameter: values[i], gradient: UnsafeBufferPointer(grads[i]), coefficients: c) }
        }
        _ = time("clip_grad_norm_3538944", repeats: 20) {
            clipGradientNorm(grads, maxNorm: 1e9)
        }
        _ = time("grad_norm_only_3538944", repeats: 20) {
            _ = totalGradientNorm(grads.map { UnsafeBufferPointer($0) })
        }

        // Dropout p 0.1 over one batch-8 × 256-token × d_model-768 activation, a new mask per call (the
        // trainer's mask changes with the step). Out of place, y = dropout(x), is how LoRA dropout runs
        // (LinearLayer); in place, x = dropout(x), is how T5's own dropout runs (T5TrainingModel,
        // FeedForwardBlock). Both hash the mask and multiply in one pass, on Kernels' workers.
        let n = 8 * 256 * 768
        let x = [Float](repeating: 1, count: n)
        var y = [Float](repeating: 0, count: n)
        var step: UInt64 = 0
        let outOfPlace = time("dropout_1572864", repeats: 20) {
            step += 1
            let mask = DropoutMask(probability: 0.1, seed: 42, step: step, site: 10_000_000)
            x.withUnsafeBufferPointer { src in
                y.withUnsafeMutableBufferPointer { mask.apply(src.baseAddress!, into: $0.baseAddress!, count: n) }
            }
        }
        print(String(format: "dropout_ns_per_element: %.3f", outOfPlace * 1e9 / Double(n)))
        var z = x
        let inPlace = time("dropout_inplace_1572864", repeats: 20) {
            step += 1
            let mask = DropoutMask(probability: 0.1, seed: 42, step: step, site: 100)
            z.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n) }
        }
        print(String(format: "dropout_inplace_ns_per_element: %.3f", inPlace * 1e9 / Double(n)))
    }
}
