// Element types the reader and writer understand, named as in the safetensors header.

public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case i64 = "I64"
    /// Bytes (bitsandbytes' packed 4-bit codes and 8-bit absmax codes).
    case u8 = "U8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .u8: return 1
        case .f16, .bf16: return 2
        case .f32, .i32: return 4
        case .i64: return 8
        }
    }

    /// True for the types `SafeTensorsFile.floats` converts to Float.
    public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 }
}
