// A bias-free linear layer with PyTorch's weight layout W[out, in]: y = x·Wᵀ.

public enum Linear {
    /// y[rows, out] = x[rows, in] · W[out, in]ᵀ (+ y when `accumulate`).
    @inline(__always)
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false, scale: Float = 1) {
        GEMM.matmul(x, weight, y, m: rows, k: inFeatures, n: outFeatures, transposeB: true,
                    alpha: scale, beta: accumulate ? 1 : 0)
    }

    /// dx[rows, in] (+)= dy[rows, out] · W[out, in].
    @inline(__always)
    public static func backwardInput(_ dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                     rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true, scale: Float = 1) {
        GEMM.matmul(dy, weight, dx, m: rows, k: outFeatures, n: inFeatures, alpha: scale, beta: accumulate ? 1 : 0)
    }

    /// dW[out, in] (+)= dy[rows, out]ᵀ · x[rows, in]  (only for trainable weights).
    @inline(__always)
    public static func backwardWeight(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                                      rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true, scale: Float = 1) {
        GEMM.matmul(dy, x, dw, m: outFeatures, k: rows, n: inFeatures, transposeA: true, alpha: scale, beta: accumulate ? 1 : 0)
    }

    // Frozen weights: fp32 ones go to F32GEMM (oneDNN or OpenBLAS, whichever is faster on this CPU); the bf16
    // mode's (bf16 bits, same layout) to BF16GEMM, which rounds the input x or dy to bf16 on the way in and
    // sums and outputs in fp32; the nf4 mode's through NF4Product (dequantized to bf16 a tile at a time, then
    // BF16GEMM).

    /// A frozen weight W[out, in] as the engines multiply it: fp32, bf16 in the bf16 mode, NF4 in the nf4 mode.
    public enum Weight {
        case f32(UnsafePointer<Float>)
        case bf16(UnsafePointer<UInt16>)
        case nf4(NF4Tensor)
    }

    /// y[rows, out] (+)= x · Wᵀ in W's precision.
    @inline(__always)
    public static func forward(_ x: UnsafePointer<Float>, weight: Weight, _ y: UnsafeMutablePointer<Float>,
                               rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false, scale: Float = 1) {
        switch weight {
        case .f32(let w): F32GEMM.matmul(x, lda: inFeatures, w, ldb: inFeatures, y, ldc: outFeatures, m: rows, k: inFeatures,
                                         n: outFeatures, transposeB: true, alpha: scale, accumulate: accumulate)
        case .bf16(let w): forward(x, weight: w, y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                                   accumulate: accumulate, scale: scale)
        case .nf4(let w): NF4Product.forward(x, weight: w, y, m: rows, accumulate: accumulate, scale: scale)
        }
    }

    /// dx[rows, in] (+)= dy · W in W's precision.
    @inline(__always)
    public static func backwardInput(_ dy: UnsafePointer<Float>, weight: Weight, _ dx: UnsafeMutablePointer<Float>,
                                     rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true, scale: Float = 1) {
        switch weight {
        case .f32(let w): F32GEMM.matmul(dy, lda: outFeatures, w, ldb: inFeatures, dx, ldc: inFeatures, m: rows, k: outFeatures,
                                         n: inFeatures, transposeB: false, alpha: scale, accumulate: accumulate)
        case .bf16(let w): backwardInput(dy, weight: w, dx, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                                         accumulate: accumulate, scale: scale)
        case .nf4(let w): NF4Product.backwardInput(dy, weight: w, dx, m: rows, accumulate: accumulate, scale: scale)
        }
    }

    /// y[rows, out] (+)= bf16(x)[rows, in] · W[out, in]ᵀ.
    @inline(__always)
    public static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                               rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false, scale: Float = 1) {
        BF16GEMM.matmul(x, lda: inFeatures, weight, ldb: inFeatures, y, ldc: outFeatures, m: rows, k: inFeatures,
                        n: outFeatures, transposeB: true, alpha: scale, accumulate: accumulate)
    }

    /// dx[rows, in] (+)= bf16(dy)[rows, out] · W[out, in].
    @inline(__always)
    public static func backwardInput(_ dy: UnsafePointer<Float>, weight: UnsafePointer<UInt16>, _ dx: UnsafeMutablePointer<Float>,
                                     rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true, scale: Float = 1) {
        BF16GEMM.matmul(dy, lda: outFeatures, weight, ldb: inFeatures, dx, ldc: inFeatures, m: rows, k: outFeatures,
                        n: inFeatures, transposeB: false, alpha: scale, accumulate: accumulate)
    }
}
