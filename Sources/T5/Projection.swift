// One linear map of the model (q, k, v, o, wi, wo): a frozen weight plus, optionally, an unmerged PEFT adapter:
// LoRA's y += scale · (x·Aᵀ)·Bᵀ, IA3's y ⊙ l (its input x ⊙ l on a feed-forward module), or LoHa's and LoKr's
// y += x·ΔWᵀ.
import Kernels

public struct LowRankUpdate: @unchecked Sendable {
    /// A [rank, in], row-major.
    public let a: FloatBuffer
    /// B [out, rank], row-major.
    public let b: FloatBuffer
    public let rank: Int
    public let scale: Float
}

/// An adapter as a projection applies it.
public enum ProjectionAdapter: @unchecked Sendable {
    case lowRank(LowRankUpdate)
    /// IA3's vector: `out` values scaling the output, or on a feed-forward module `in` values scaling the input.
    case ia3(scaling: FloatBuffer, feedForward: Bool)
    /// A full-size update ΔW [out, in] (LoHa's, LoKr's, multiplied out from their factors): y += x·ΔWᵀ.
    case delta(FloatBuffer)
}

public final class Projection: @unchecked Sendable {
    public let name: String
    public internal(set) var weight: WeightMatrix
    public internal(set) var adapter: ProjectionAdapter?

    init(name: String, weight: WeightMatrix) {
        self.name = name
        self.weight = weight
    }

    public var inFeatures: Int { weight.cols }
    public var outFeatures: Int { weight.rows }

    /// The LoRA update, if the adapter is LoRA.
    public var lora: LowRankUpdate? { if case .lowRank(let u)? = adapter { return u } else { return nil } }

    /// y[m, out] (+)= x[m, in] · Wᵀ (with the adapter).
    public func apply(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        switch adapter {
        case nil:
            weight.apply(x, m: m, into: y, accumulate: accumulate)
        case .lowRank(let lora)?:
            weight.apply(x, m: m, into: y, accumulate: accumulate)
            guard m > 0 else { return }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m * lora.rank) { low in
                let t = low.baseAddress!
                Linear.forward(x, weight: lora.a.pointer, t, rows: m, inFeatures: inFeatures, outFeatures: lora.rank)
                Linear.forward(t, weight: lora.b.pointer, y, rows: m, inFeatures: lora.rank, outFeatures: outFeatures,
                               accumulate: true, scale: lora.scale)
            }
        case .delta(let delta)?:
            weight.apply(x, m: m, into: y, accumulate: accumulate)
            guard m > 0 else { return }
            Linear.forward(x, weight: delta.pointer, y, rows: m, inFeatures: inFeatures, outFeatures: outFeatures, accumulate: true)
        case .ia3(let scaling, feedForward: true)?:
            guard m > 0 else { return weight.apply(x, m: m, into: y, accumulate: accumulate) }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m * inFeatures) { scaled in
                Elementwise.scaleColumns(x, by: scaling.pointer, into: scaled.baseAddress!, rows: m, cols: inFeatures)
                weight.apply(scaled.baseAddress!, m: m, into: y, accumulate: accumulate)
            }
        case .ia3(let scaling, feedForward: false)?:
            guard accumulate, m > 0 else {
                weight.apply(x, m: m, into: y)
                return Elementwise.scaleColumns(y, by: scaling.pointer, into: y, rows: m, cols: outFeatures)
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m * outFeatures) { buffer in
                let product = buffer.baseAddress!
                weight.apply(x, m: m, into: product)
                Elementwise.scaleColumns(product, by: scaling.pointer, into: product, rows: m, cols: outFeatures)
                Elementwise.add(product, into: y, count: m * outFeatures)
            }
        }
    }
}
