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
}
