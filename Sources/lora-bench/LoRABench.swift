// Micro-benchmarks of the LoRA library's per-step work at flan-t5-base scale: AdamW, gradient
// clipping and dropout masks (scripts/bench/lora_bench.sh runs it beside the PyTorch equivalents).
import Foundation
import LoRA

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
        // 72 modules × (lora_A 32×768 + lora_B 768×32) = 3,538,944 parameters.
        let sizes = Array(repeating: 32 * 768, count: 144)
        var g = PhiloxGenerator(seed: 1)
        var params = sizes.map { n -> [Float] in var a = [Float](repeating: 0, count: n); a.withUnsafeMutableBufferPointer { g.fillUniform($0) }; return a }
        var grads = params.map { $0.map { $0 - 0.5 } }
        var optimizer = AdamW(tensorSizes: sizes)
        _ = time("adamw_step_3538944", repeats: 20) {
            optimizer.step(parameters: &params, gradients: grads, learningRate: 1e-3)
        }
        _ = time("clip_grad_norm_3538944", repeats: 20) {
            clipGradientNorm(&grads, maxNorm: 1e9)
        }
        _ = time("grad_norm_only_3538944", repeats: 20) {
            _ = totalGradientNorm(grads)
        }
        let n = 8 * 256 * 768
        var mask = [Float](repeating: 0, count: n)
        let s = time("dropout_mask_1572864", repeats: 20) {
            mask.withUnsafeMutableBufferPointer { g.fillDropoutMask($0, dropProbability: 0.1) }
        }
        print(String(format: "dropout_mask_ns_per_element: %.3f", s * 1e9 / Double(n)))
    }
}
