// A frozen weight matrix in PyTorch layout [out, in], stored as fp32 (usually a zero-copy view into
// the mapped safetensors file), as bf16 (the bf16 mode, whose products round their input to bf16 and
// sum in fp32: oneDNN's bf16 kernels for many rows where the CPU has them; the streaming kernels, which
// widen bf16 rows in registers, for a few rows, where memory traffic is what counts), or as NF4 (the nf4
// mode: QLoRA's 4-bit base, dequantized to bf16 a tile at a time for the same products).
import Kernels
import SafeTensors

public final class WeightMatrix: @unchecked Sendable {
    public enum Precision: String, Sendable { case f32, bf16, nf4 }

    enum Storage {
        case f32(UnsafePointer<Float>)
        case bf16(UnsafePointer<UInt16>)
        case nf4(NF4Tensor)
    }

    public let rows: Int
    public let cols: Int
    let storage: Storage
    /// Keeps the memory behind `storage` alive (mapping, owned array or buffer).
    private let owner: AnyObject?

    init(rows: Int, cols: Int, storage: Storage, owner: AnyObject?) {
        self.rows = rows
        self.cols = cols
        self.storage = storage
        self.owner = owner
    }

    /// An fp32 matrix owning a copy of `values`.
    public convenience init(rows: Int, cols: Int, values: [Float]) {
        let buffer = FloatBuffer(values)
        self.init(rows: rows, cols: cols, storage: .f32(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    /// An NF4 matrix (its tensor keeps its own memory).
    public convenience init(nf4 tensor: NF4Tensor) {
        self.init(rows: tensor.rows, cols: tensor.cols, storage: .nf4(tensor), owner: nil)
    }

    public var precision: Precision {
        switch storage {
        case .f32: return .f32
        case .bf16: return .bf16
        case .nf4: return .nf4
        }
    }

    /// The 4-bit tensor of an NF4 matrix (nil for fp32 and bf16).
    public var nf4: NF4Tensor? {
        if case .nf4(let t) = storage { return t }
        return nil
    }

    /// The bytes the values take in memory (a mapped fp32 view counts in full).
    public var byteCount: Int {
        switch storage {
        case .f32: return 4 * rows * cols
        case .bf16: return 2 * rows * cols
        case .nf4(let t): return t.byteCount
        }
    }

    /// Row-major fp32 copy of the values.
    public func floats() -> [Float] {
        switch storage {
        case .f32(let p): return Array(UnsafeBufferPointer(start: p, count: rows * cols))
        case .bf16(let p): return (0..<(rows * cols)).map { bf16ToFloat(p[$0]) }
        case .nf4(let t):
            // the bf16 values the products use
            var values = [Float](repeating: 0, count: rows * cols)
            values.withUnsafeMutableBufferPointer { t.dequantizeRounded(0..<(rows * cols), into: $0.baseAddress!) }
            return values
        }
    }

    /// The same values in another precision (bf16 rounds to nearest even, as torch does). NF4 is made with
    /// `quantized(_:)`, from bf16; an NF4 matrix converts to the bf16 values its products use.
    public func converted(to precision: Precision) -> WeightMatrix {
        if precision == self.precision { return self }
        precondition(precision != .nf4, "an NF4 matrix is made with quantized(_:)")
        switch storage {
        case .nf4:
            let values = floats()
            return WeightMatrix(rows: rows, cols: cols, values: values).converted(to: precision)
        case .bf16(let p):
            let buffer = FloatBuffer(count: rows * cols, zeroed: false)
            for i in 0..<(rows * cols) { buffer.pointer[i] = bf16ToFloat(p[i]) }
            return WeightMatrix(rows: rows, cols: cols, storage: .f32(UnsafePointer(buffer.pointer)), owner: buffer)
        case .f32(let p):
            let owned = BF16Storage(count: rows * cols), target = owned.pointer
            Parallel.forRanges(rows * cols, costPerItem: 4) { range in
                for i in range { target[i] = floatToBF16(p[i]) }
            }
            return WeightMatrix(rows: rows, cols: cols, storage: .bf16(UnsafePointer(owned.pointer)), owner: owned)
        }
    }

    /// y[m, rows] (+)= scale · x[m, cols] · Wᵀ.
    public func apply(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, scale: Float = 1) {
        switch storage {
        case .f32(let w):
            if m <= WeightKernels.smallBatchRows && rows * cols >= WeightKernels.streamingMinimumSize {
                WeightKernels.smallBatchProduct(x, m: m, weight: w, rows: rows, cols: cols, y: y, accumulate: accumulate, scale: scale)
            } else {
                Linear.forward(x, weight: .f32(w), y, rows: m, inFeatures: cols, outFeatures: rows, accumulate: accumulate, scale: scale)
            }
        case .nf4(let t):
            applyNF4(t, x, m: m, into: y, accumulate: accumulate, scale: scale)
        case .bf16(let w):
            // The bf16 mode's numerics: x rounded to bf16, fp32 sums (as the trainer's frozen products). Many rows
            // go to BF16GEMM (oneDNN, or its emulation); a few stream the weight rows once.
            if m > WeightKernels.smallBatchRows {
                Linear.forward(x, weight: w, y, rows: m, inFeatures: cols, outFeatures: rows, accumulate: accumulate, scale: scale)
                return
            }
            let rounded = FloatBuffer(count: m * cols, zeroed: false)
            BFloat16.round(x, into: rounded.pointer, count: m * cols)
            WeightKernels.smallBatchProduct(UnsafePointer(rounded.pointer), m: m, weight: w, rows: rows, cols: cols, y: y,
                                            accumulate: accumulate, scale: scale)
        }
    }
}

/// Owned bf16 values.
final class BF16Storage {
    let pointer: UnsafeMutablePointer<UInt16>
    init(count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    deinit { pointer.deallocate() }
}

extension WeightMatrix {
    /// Copies row `row` (e.g. one token's embedding) into `out` as fp32.
    public func copyRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let p): out.update(from: p + row * cols, count: cols)
        case .bf16(let p): for i in 0..<cols { out[i] = bf16ToFloat(p[row * cols + i]) }
        case .nf4(let t):
            var bits = [UInt16](repeating: 0, count: cols)
            bits.withUnsafeMutableBufferPointer { t.dequantize((row * cols)..<((row + 1) * cols), into: $0.baseAddress!) }
            for i in 0..<cols { out[i] = bf16ToFloat(bits[i]) }
        }
    }

    /// This matrix in NF4, quantized as bitsandbytes does from its values as bf16 (the nf4 mode's base is the
    /// bf16 mode's, 4-bit where bitsandbytes quantizes); `tensor` and `file` name it in the error of a value that is
    /// not finite.
    public func quantized(_ settings: NF4Settings, tensor: String = "the matrix", file: String = "") throws -> WeightMatrix {
        let bf16 = converted(to: .bf16)
        guard case .bf16(let bits) = bf16.storage else { preconditionFailure("converted to bf16") }
        // the bits belong to `bf16`: it must outlive their reading
        return try withExtendedLifetime(bf16) {
            WeightMatrix(nf4: try QuantizedModules.quantize(bits, rows: rows, cols: cols, settings: settings, tensor: tensor, file: file))
        }
    }

    /// y (+)= scale · bf16(x) · Wᵀ for an NF4 W: many rows through NF4Product (BF16GEMM); a few (decoding) through
    /// the streaming kernel, each pair of weight rows dequantized into a worker's small buffer just before its
    /// product, so no dequantized tile goes through memory.
    private func applyNF4(_ t: NF4Tensor, _ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>,
                          accumulate: Bool, scale: Float) {
        if m > WeightKernels.smallBatchRows {
            return NF4Product.forward(x, weight: t, y, m: m, accumulate: accumulate, scale: scale)
        }
        let rounded = FloatBuffer(count: m * cols, zeroed: false)
        BFloat16.round(x, into: rounded.pointer, count: m * cols)
        withExtendedLifetime(rounded) {
            WeightKernels.nf4SmallBatchProduct(UnsafePointer(rounded.pointer), m: m, weight: t, y: y, accumulate: accumulate, scale: scale)
        }
    }
}
