// NormalFloat4, the 4-bit data type of QLoRA, exactly as bitsandbytes 0.50.2 codes it on a CPU: 16 levels
// (`get_4bit_type("nf4")`), a value scaled by its block's absmax and coded to the nearest level by the fp32
// midpoints between levels, a value on a midpoint taking the lower code (`torch.bucketize`, right=False).

public enum NF4 {
    /// The 16 levels, as fp32 bit patterns (bitsandbytes' table, fp32-rounded as torch stores it).
    public static let levels: [Float] = [
        0xbf80_0000, 0xbf32_39b1, 0xbf06_6b30, 0xbeca_32a0, 0xbe91_a24d, 0xbe3d_353f, 0xbdba_7871, 0x0000_0000,
        0x3da2_faff, 0x3e24_cae3, 0x3e7c_04dd, 0x3ead_033a, 0x3ee1_a4b8, 0x3f10_07ab, 0x3f39_13b3, 0x3f80_0000,
    ].map { Float(bitPattern: $0) }

    /// (level[i] + level[i + 1]) / 2 in fp32: the 15 decision boundaries.
    static let midpoints: [Float] = (0..<15).map { (levels[$0] + levels[$0 + 1]) / 2 }

    /// The code of `scaled` (already clamped to [-1, 1], not NaN): how many midpoints lie strictly below it.
    @inline(__always)
    static func code(_ scaled: Float, _ midpoints: UnsafePointer<Float>) -> UInt8 {
        // binary search for the first midpoint ≥ scaled (15 boundaries: four comparisons and a last one)
        var low = 0, count = 15
        while count > 0 {
            let half = count / 2
            if midpoints[low + half] < scaled {
                low += half + 1
                count -= half + 1
            } else {
                count = half
            }
        }
        return UInt8(low)
    }

    /// The block sizes bitsandbytes accepts for 4-bit quantization.
    public static let blocksizes = [32, 64, 128, 256, 512, 1024, 2048, 4096]
}

/// How the nf4 mode quantizes (bitsandbytes' BitsAndBytesConfig: bnb_4bit_quant_type "nf4",
/// bnb_4bit_use_double_quant, and its block size of 64).
public struct NF4Settings: Sendable, Equatable {
    public var blocksize: Int
    public var doubleQuant: Bool

    public init(blocksize: Int = 64, doubleQuant: Bool = true) {
        self.blocksize = blocksize
        self.doubleQuant = doubleQuant
    }
}
