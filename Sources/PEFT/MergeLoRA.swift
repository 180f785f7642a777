import Kernels

/// Folds an adapter into its base weight, as PEFT's `merge_and_unload` does: W ← W + scale · B·A, with W
/// [out, in], A [rank, in] and B [out, rank], row-major fp32. What `train-lora --merge` writes (Stages' MergedModel).
public func mergeLoRA(into weight: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      rank: Int, inFeatures: Int, outFeatures: Int, scale: Float) {
    GEMM.matmul(b, a, weight, m: outFeatures, k: rank, n: inFeatures, alpha: scale, beta: 1)
}
