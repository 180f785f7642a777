// What the header says about one tensor, after validation.

public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range inside the data section (after the 8-byte length and the header).
    public let byteRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}
