// T5's relative-position buckets, computed exactly as transformers' T5Attention._relative_position_bucket
// (float32 log, truncation toward zero), and the bias added to attention scores.
import Foundation

public enum RelativePosition {
    /// relative = key position − query position.
    public static func bucket(relative: Int, bidirectional: Bool, numBuckets: Int, maxDistance: Int) -> Int {
        var buckets = numBuckets
        var result = 0
        var distance: Int
        if bidirectional {
            buckets /= 2
            if relative > 0 { result += buckets }
            distance = abs(relative)
        } else {
            distance = -min(relative, 0)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return result + distance }
        let logRatio = Float(log(Double(maxDistance) / Double(maxExact)))
        let scaled = logf(Float(distance) / Float(maxExact)) / logRatio * Float(buckets - maxExact)
        let large = maxExact + Int(scaled)
        return result + min(large, buckets - 1)
    }

    /// bias[h, q, k] = table[bucket(k − q), h] for queries at `queryOffset ..< queryOffset+queries`.
    /// `table` is HF's relative_attention_bias.weight [numBuckets, heads].
    public static func bias(table: UnsafePointer<Float>, heads: Int, queries: Int, keys: Int, queryOffset: Int = 0,
                            bidirectional: Bool, numBuckets: Int, maxDistance: Int, into out: UnsafeMutablePointer<Float>) {
        // One bucket per relative distance, looked up once.
        let lowest = -(queryOffset + queries - 1)
        let highest = keys - 1 - queryOffset
        var bucketOf = [Int](repeating: 0, count: max(0, highest - lowest + 1))
        for r in lowest...max(lowest, highest) where r - lowest < bucketOf.count {
            bucketOf[r - lowest] = bucket(relative: r, bidirectional: bidirectional, numBuckets: numBuckets, maxDistance: maxDistance)
        }
        for h in 0..<heads {
            for q in 0..<queries {
                let row = out + (h * queries + q) * keys
                for k in 0..<keys { row[k] = table[bucketOf[k - (q + queryOffset) - lowest] * heads + h] }
            }
        }
    }

    /// The bias by relative distance, for sequences of up to `length` tokens: one row of 2·length − 1 values
    /// per head, out[h·(2·length − 1) + (k − q) + length − 1] = table[bucket(k − q), h]. A sequence's
    /// [queries, keys] bias is then a window of it (`BiasRows(byDistance:…)`), whatever the sequence's
    /// own length, so sequences of a ragged batch share one small table.
    public static func biasByDistance(table: UnsafePointer<Float>, heads: Int, length: Int, bidirectional: Bool,
                                      numBuckets: Int, maxDistance: Int, into out: UnsafeMutablePointer<Float>) {
        let width = 2 * length - 1
        for r in -(length - 1)..<length {
            let bucket = bucket(relative: r, bidirectional: bidirectional, numBuckets: numBuckets, maxDistance: maxDistance)
            for h in 0..<heads { out[h * width + r + length - 1] = table[bucket * heads + h] }
        }
    }
}

/// One head's additive attention bias, one row per query: `row(q)[k]` is the bias of key k.
public struct BiasRows {
    public let base: UnsafePointer<Float>
    /// How far apart consecutive rows start (−1 for a table by distance: row q + 1 is row q shifted by one).
    public let rowStride: Int

    /// A [queries, keys] matrix.
    public init(matrix: UnsafePointer<Float>, keys: Int) {
        base = matrix
        rowStride = keys
    }

    /// Head `head` of `RelativePosition.biasByDistance(…, length:)`, for queries and keys counted from 0.
    public init(byDistance table: UnsafePointer<Float>, head: Int, length: Int) {
        base = table + head * (2 * length - 1) + length - 1
        rowStride = -1
    }

    private init(base: UnsafePointer<Float>, rowStride: Int) {
        self.base = base
        self.rowStride = rowStride
    }

    /// The same rows starting at query `offset` (that query is row 0): queries after `offset` positions in front.
    public func shifted(by offset: Int) -> BiasRows { BiasRows(base: row(offset), rowStride: rowStride) }

    @inline(__always)
    public func row(_ query: Int) -> UnsafePointer<Float> { base + query * rowStride }
}
