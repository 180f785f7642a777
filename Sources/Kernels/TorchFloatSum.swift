// torch's float32 sum of a contiguous vector on a CPU (aten/src/ATen/native/cpu/SumKernel.cpp, cascade_sum),
// reproduced in order: bitsandbytes' double quantization subtracts `absmax.mean()`, and a last-bit difference
// in that mean changes every nested code. Eight-lane vectors (what torch 2.13's kernel uses here, AVX-512
// machines included), summed as four interleaved rows with a four-level cascade; then the tail, then the lanes.

public enum TorchFloatSum {
    static let lanes = 8

    /// torch.sum(values) for a float32 tensor (then mean = sum / count in fp32).
    public static func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
        let n = values.count
        guard n >= lanes else { return rowSum(n) { [values[$0]] }[0] }
        let vectors = n / lanes
        let lanesSum = rowSum(vectors) { v in (0..<lanes).map { values[v * lanes + $0] } }
        var total: Float = 0
        for k in (vectors * lanes)..<n { total += values[k] }
        for lane in lanesSum { total += lane }
        return 0 + total
    }

    /// `row_sum`: `count` items (each a vector of `width` lanes, given by `load`) as rows of four, cascaded,
    /// the leftover items onto the first partial sum, then the four partial sums in order.
    private static func rowSum(_ count: Int, load: (Int) -> [Float]) -> [Float] {
        let width = count > 0 ? load(0).count : 1
        let rows = count / 4
        var partial = multiRowSum(rows, width: width) { row, k in load(row * 4 + k) }
        for i in (rows * 4)..<count { add(&partial[0], load(i)) }
        for k in 1..<4 { add(&partial[0], partial[k]) }
        return partial[0]
    }

    /// `multi_row_sum` with four rows: accumulators at four levels, each level taking 2^p of the one below.
    private static func multiRowSum(_ size: Int, width: Int, load: (Int, Int) -> [Float]) -> [[Float]] {
        let levels = 4
        let power = max(4, ceilLog2(size) / levels)
        let step = 1 << power, mask = step - 1
        let zero = [[Float]](repeating: [Float](repeating: 0, count: width), count: 4)
        var acc = [[[Float]]](repeating: zero, count: levels)
        var i = 0
        while i + step <= size {
            for _ in 0..<step {
                for k in 0..<4 { add(&acc[0][k], load(i, k)) }
                i += 1
            }
            for j in 1..<levels {
                for k in 0..<4 {
                    add(&acc[j][k], acc[j - 1][k])
                    acc[j - 1][k] = zero[k]
                }
                if i & (mask << (j * power)) != 0 { break }
            }
        }
        while i < size {
            for k in 0..<4 { add(&acc[0][k], load(i, k)) }
            i += 1
        }
        for j in 1..<levels { for k in 0..<4 { add(&acc[0][k], acc[j][k]) } }
        return acc[0]
    }

    private static func add(_ a: inout [Float], _ b: [Float]) { for t in a.indices { a[t] += b[t] } }

    /// ATen's CeilLog2: 1 for x ≤ 2, else the bit width of x - 1.
    private static func ceilLog2(_ x: Int) -> Int { x <= 2 ? 1 : Int.bitWidth - (x - 1).leadingZeroBitCount }
}
