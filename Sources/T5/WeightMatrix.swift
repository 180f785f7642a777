// A frozen weight matrix in PyTorch layout [out, in], stored as fp32 (usually a zero-copy view into
// the mapped safetensors file) or as bf16: the bf16 mode, whose products round their input to bf16 and
// sum in fp32 (oneDNN's bf16 kernels for many rows where the CPU has them; the streaming kernels, which
// widen bf16 rows in registers, for a few rows, where memory traffic is what counts).
import Kernels
import SafeTensors

public final class WeightMatrix: @unchecked Sendable {
    public enum Precision: String, Sendable { case f32, bf16 }

    enum Storage {
        case f32(UnsafePointer<Float>)
        case bf16(UnsafePointer<UInt16>)
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

    public var precision: Precision {
        if case .bf16 = storage { return .bf16 }
        return .f32
    }

    /// Row-major fp32 copy of the values.
    public func floats() -> [Float] {
        switch storage {
        case .f32(let p): return Array(UnsafeBufferPointer(start: p, count: rows * cols))
        case .bf16(let p): return (0..<(rows * cols)).map { bf16ToFloat(p[$0]) }
        }
    }

    /// The same values in another precision (bf16 rounds to nearest even, as torch does).
    public func converted(to precision: Precision) -> WeightMatrix {
        if precision == self.precision { return self }
        switch storage {
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
        }
    }
}
