// A frozen weight matrix in QLoRA's 4-bit NormalFloat, as bitsandbytes stores it (Params4bit, quant_type nf4):
// the row-major values in blocks of `blocksize`, one absmax per block, two 4-bit codes a byte (the first in the
// high nibble); with double quantization the absmax values, less their mean (the offset), are themselves coded
// in 8 bits in blocks of 256 with one fp32 absmax each. A value is level[code] · absmax, widened to bf16 for
// the products (the bf16 mode's numerics); `NF4Product` does that tile by tile, never for the whole model.
import CNF4

public final class NF4Tensor: @unchecked Sendable {
    /// How the per-block absmax values are kept.
    public enum Scales: Sendable {
        /// fp32 absmax, one per block.
        case plain([Float])
        /// Double quantization: absmax = map[code] · nestedAbsmax[block / 256] + offset.
        case nested(codes: [UInt8], nestedAbsmax: [Float], offset: Float)
    }

    public static let nestedBlocksize = 256

    public let rows: Int
    public let cols: Int
    public let blocksize: Int
    /// ⌈rows·cols / 2⌉ bytes of codes.
    public let packed: [UInt8]
    public let scales: Scales

    public var count: Int { rows * cols }
    public var blocks: Int { (count + blocksize - 1) / blocksize }

    /// The bytes this tensor holds: codes and scales.
    public var byteCount: Int {
        switch scales {
        case .plain(let absmax): return packed.count + 4 * absmax.count
        case .nested(let codes, let nested, _): return packed.count + codes.count + 4 * nested.count + 4
        }
    }

    /// The tensor bitsandbytes' `quantize_4bit(W, blocksize, compress_statistics: doubleQuant, quant_type="nf4")`
    /// makes of the row-major values; nil when a value is NaN or infinite (bitsandbytes would code garbage).
    public init?(quantizing values: UnsafePointer<Float>, rows: Int, cols: Int, blocksize: Int = 64, doubleQuant: Bool = true) {
        precondition(NF4.blocksizes.contains(blocksize), "blocksize \(blocksize)")
        let n = rows * cols
        for i in 0..<n where !values[i].isFinite { return nil }
        self.rows = rows
        self.cols = cols
        self.blocksize = blocksize
        let blocks = (n + blocksize - 1) / blocksize
        var absmax = [Float](repeating: 0, count: blocks)
        var packed = [UInt8](repeating: 0, count: (n + 1) / 2)
        let full = n / blocksize
        absmax.withUnsafeMutableBufferPointer { absmax in
            packed.withUnsafeMutableBufferPointer { packed in
                NF4.midpoints.withUnsafeBufferPointer { midpoints in
                    let (absmax, packed, midpoints) = (absmax.baseAddress!, packed.baseAddress!, midpoints.baseAddress!)
                    // blocksize is even, so a block's codes fill whole bytes (the last block may end on a half byte)
                    Parallel.forRanges(blocks, costPerItem: 8 * blocksize) { range in
                        for b in range {
                            let start = b * blocksize, end = min(n, start + blocksize)
                            var m: Float = 0
                            for i in start..<end { m = max(m, abs(values[i])) }
                            let divisor = max(m, 1e-38)
                            // torch: full blocks multiply by the reciprocal and keep their absmax; the remainder block
                            // divides and keeps the clamped one
                            absmax[b] = b < full ? m : divisor
                            let inverse = 1 / divisor
                            for i in stride(from: start, to: end, by: 2) {
                                let x0 = b < full ? values[i] * inverse : values[i] / divisor
                                let high = NF4.code(min(max(x0, -1), 1), midpoints)
                                var low = NF4.code(0, midpoints)  // the padding of an odd count
                                if i + 1 < end {
                                    let x1 = b < full ? values[i + 1] * inverse : values[i + 1] / divisor
                                    low = NF4.code(min(max(x1, -1), 1), midpoints)
                                }
                                packed[i / 2] = high << 4 | low
                            }
                        }
                    }
                }
            }
        }
        self.packed = packed
        if doubleQuant {
            let offset = absmax.withUnsafeBufferPointer { TorchFloatSum.sum($0) } / Float(blocks)
            let (codes, nested) = DynamicMap8Bit.quantize(absmax.map { $0 - offset }, blocksize: Self.nestedBlocksize)
            scales = .nested(codes: codes, nestedAbsmax: nested, offset: offset)
        } else {
            scales = .plain(absmax)
        }
    }

    /// The tensor of bf16 values (`bits`), as bitsandbytes quantizes a model loaded in bf16; nil when one is not finite.
    public convenience init?(quantizingBF16 bits: UnsafePointer<UInt16>, rows: Int, cols: Int, settings: NF4Settings) {
        let values = FloatBuffer(count: rows * cols, zeroed: false)
        BFloat16.widen(bits, into: values.pointer, count: rows * cols)
        defer { withExtendedLifetime(values) {} }  // the buffer must outlive the quantizer's reading of it
        self.init(quantizing: values.pointer, rows: rows, cols: cols, blocksize: settings.blocksize, doubleQuant: settings.doubleQuant)
    }

    /// A tensor from stored parts (a quantized checkpoint or a test's fixture), checked to fit: the counts that
    /// the shape and block size imply, finite scales; throws what does not fit.
    public init(rows: Int, cols: Int, blocksize: Int, packed: [UInt8], scales: Scales) throws(NF4TensorError) {
        guard rows > 0, cols > 0, NF4.blocksizes.contains(blocksize) else {
            throw NF4TensorError("shape \(rows)×\(cols) with blocksize \(blocksize) (one of \(NF4.blocksizes.map(String.init).joined(separator: ", ")))")
        }
        let n = rows * cols, blocks = (n + blocksize - 1) / blocksize
        guard packed.count == (n + 1) / 2 else { throw NF4TensorError("\(packed.count) bytes of codes for \(n) values (need \((n + 1) / 2))") }
        switch scales {
        case .plain(let absmax):
            guard absmax.count == blocks else { throw NF4TensorError("\(absmax.count) absmax values for \(blocks) blocks") }
            guard absmax.allSatisfy({ $0.isFinite }) else { throw NF4TensorError("an absmax value is not finite") }
        case .nested(let codes, let nested, let offset):
            let nestedBlocks = (blocks + Self.nestedBlocksize - 1) / Self.nestedBlocksize
            guard codes.count == blocks else { throw NF4TensorError("\(codes.count) absmax codes for \(blocks) blocks") }
            guard nested.count == nestedBlocks else {
                throw NF4TensorError("\(nested.count) nested absmax values for \(nestedBlocks) blocks of \(Self.nestedBlocksize)")
            }
            guard offset.isFinite, nested.allSatisfy({ $0.isFinite }) else { throw NF4TensorError("a nested absmax or the offset is not finite") }
        }
        self.rows = rows
        self.cols = cols
        self.blocksize = blocksize
        self.packed = packed
        self.scales = scales
    }

    /// out[i - range.lowerBound] = bf16(level[code_i] · absmax) for the values in `range` of the flat tensor.
    public func dequantize(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>) {
        forEachBlockRun(range) { start, count, scales, packed, levels in
            nf4_dequantize_bf16(packed, Int64(start), Int64(count), Int64(blocksize), scales, levels, out + (start - range.lowerBound))
        }
    }

    /// The fp32 values level[code] · absmax (before the bf16 rounding), for the values in `range`.
    public func dequantize(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        forEachBlockRun(range) { start, count, scales, packed, levels in
            nf4_dequantize_f32(packed, Int64(start), Int64(count), Int64(blocksize), scales, levels, 0, out + (start - range.lowerBound))
        }
    }

    /// The bf16 values as fp32 (what the emulated bf16 product and decoding multiply), for the values in `range`.
    public func dequantizeRounded(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        forEachBlockRun(range) { start, count, scales, packed, levels in
            nf4_dequantize_f32(packed, Int64(start), Int64(count), Int64(blocksize), scales, levels, 1, out + (start - range.lowerBound))
        }
    }

    /// Cuts `range` into runs of whole blocks (the workers' shares; the first and last may be partial) and calls
    /// body(first value, count, the run's block absmax values, codes, levels) for each: CNF4 builds each block's 16
    /// values once and looks the codes up (AVX2 where the CPU has it).
    @inline(__always)
    private func forEachBlockRun(_ range: Range<Int>,
                                 _ body: (Int, Int, UnsafePointer<Float>, UnsafePointer<UInt8>, UnsafePointer<Float>) -> Void) {
        guard !range.isEmpty else { return }
        let first = range.lowerBound / blocksize, last = (range.upperBound - 1) / blocksize
        withBlockAbsmax { absmax in
            packed.withUnsafeBufferPointer { packed in
                NF4.levels.withUnsafeBufferPointer { levels in
                    Parallel.forRanges(last - first + 1, costPerItem: 2 * blocksize) { blockRange in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockRange.count) { scales in
                            for (k, b) in blockRange.enumerated() { scales[k] = absmax(first + b) }
                            let start = max(range.lowerBound, (first + blockRange.lowerBound) * blocksize)
                            let end = min(range.upperBound, (first + blockRange.upperBound) * blocksize)
                            body(start, end - start, UnsafePointer(scales.baseAddress!), packed.baseAddress!, levels.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` with the function from block index to absmax that dequantization rebuilds (double quantization:
    /// map[code] · nested absmax, then + offset), reading the scales through pointers (no array copies or enum
    /// matching per block).
    @inline(__always)
    private func withBlockAbsmax(_ body: ((Int) -> Float) -> Void) {
        switch scales {
        case .plain(let absmax):
            absmax.withUnsafeBufferPointer { absmax in body { absmax[$0] } }
        case .nested(let codes, let nested, let offset):
            codes.withUnsafeBufferPointer { codes in
                nested.withUnsafeBufferPointer { nested in
                    DynamicMap8Bit.values.withUnsafeBufferPointer { map in
                        body { block in
                            let scaled = map[Int(codes[block])] * nested[block / Self.nestedBlocksize]
                            return scaled + offset
                        }
                    }
                }
            }
        }
    }

    /// Every value, dequantized to fp32 (level · absmax, no bf16 rounding): for merges and tests.
    public func floats() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dequantize(0..<count, into: $0.baseAddress!) }
        return out
    }
}

/// Why stored NF4 parts do not make a tensor.
public struct NF4TensorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
