import Foundation
import Pipeline

/// `train.eval_limit`: which validation examples the loss is measured on. Each example is ranked by the
/// SHA-256 of (seed, its token ids), and the `limit` lowest are kept, in split order: the choice depends only
/// on an example's content and the seed, not on its position, so the same dialogue stays in (or out) when
/// the split around it changes.
public enum ValidationSubset {
    /// Indices into the split (ascending); every index when `limit` is 0 or at least the split's size.
    public static func indices(sources: [[Int32]], labels: [[Int32]], limit: Int, seed: UInt64) -> [Int] {
        guard limit > 0, limit < sources.count else { return Array(sources.indices) }
        let ranks = sources.indices.map { i -> (String, Int) in
            var bytes = Data("flan-lora validation subset, seed \(seed)\n".utf8)
            for ids in [sources[i], labels[i]] {
                withUnsafeBytes(of: UInt32(ids.count).littleEndian) { bytes.append(contentsOf: $0) }
                for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
            }
            return (Digest.sha256(bytes), i)
        }
        return ranks.sorted { $0 < $1 }.prefix(limit).map(\.1).sorted()
    }
}
