// The signed 8-bit dynamic data type bitsandbytes quantizes the NF4 absmax values with (double quantization):
// `create_dynamic_map(signed=True)`, and its CPU blockwise quantizer, which codes through a 65,536-entry table
// of the [-1, 1] interval rather than by the nearest entry (csrc/cpu_ops.cpp, `build_quantize_lut`); the
// table, not the nearest entry, is what bitsandbytes' codes follow, so it is reproduced here.

public enum DynamicMap8Bit {
    /// The 256 sorted values of `create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)`: for each
    /// exponent i in 0..<7, the midpoints of torch.linspace(0.1, 1, 2^i + 1) (fp32) times ±10^(i - 6), then 0 and 1.
    public static let values: [Float] = {
        var data: [Float] = []
        for i in 0..<7 {
            let boundaries = linspace(0.1, 1, count: (1 << i) + 1)
            let scale = Float(pow10(i - 6))
            for j in 0..<(boundaries.count - 1) {
                let mean = (boundaries[j] + boundaries[j + 1]) / 2
                data.append(scale * mean)
                data.append(-scale * mean)
            }
        }
        data += [0, 1]
        return data.sorted()
    }()

    /// 10^e as Python's float power gives it (e in -6...0).
    private static func pow10(_ e: Int) -> Double {
        var x = 1.0
        for _ in 0..<(-e) { x *= 10 }
        return e < 0 ? 1 / x : x
    }

    /// torch.linspace(start, end, count, dtype=float32) on a CPU: the first half start + step·i, the second
    /// end - step·(count - 1 - i), each one fused multiply-add (as its vectorised kernel computes them).
    static func linspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
        let step: Float = (end - start) / Float(count - 1)
        var values: [Float] = []
        for i in 0..<count {
            if i < count / 2 {
                values.append(start.addingProduct(step, Float(i)))
            } else {
                values.append(end.addingProduct(-step, Float(count - 1 - i)))
            }
        }
        return values
    }

    /// The lookup table: entry i is the code of the value -1 + 2i/65535 (the first map entry whose upper
    /// midpoint is not below it).
    static let table: [UInt8] = {
        let map = values
        let midpoints = (0..<255).map { 0.5 * (map[$0] + map[$0 + 1]) }
        var table = [UInt8](repeating: 0, count: 65_536)
        var code = 0
        for i in 0..<65_536 {
            let value = -1 + (2 * Float(i)) / 65_535
            while code < 255 && midpoints[code] < value { code += 1 }
            table[i] = UInt8(code)
        }
        return table
    }()

    /// The table index of a normalised value, as bitsandbytes rounds it.
    @inline(__always)
    static func tableIndex(_ value: Float) -> Int {
        let clamped = min(max(value, -1), 1)
        return Int(UInt16((clamped + 1) * 0.5 * 65_535 + 0.5))
    }

    /// Blockwise 8-bit quantization of `values` (finite): per block of `blocksize` the absmax, and each value's
    /// code of value · (1 / absmax); an all-zero block codes to 0.
    public static func quantize(_ values: [Float], blocksize: Int) -> (codes: [UInt8], absmax: [Float]) {
        let blocks = (values.count + blocksize - 1) / blocksize
        var codes = [UInt8](repeating: 0, count: values.count), absmax = [Float](repeating: 0, count: blocks)
        table.withUnsafeBufferPointer { table in
            for b in 0..<blocks {
                let range = (b * blocksize)..<min(values.count, (b + 1) * blocksize)
                var m: Float = 0
                for i in range { m = max(m, abs(values[i])) }
                absmax[b] = m
                guard m != 0 else { continue }
                let inverse = 1 / m
                for i in range { codes[i] = table[tableIndex(values[i] * inverse)] }
            }
        }
        return (codes, absmax)
    }
}
