// One linear map of the model (q, k, v, o, wi, wo): a frozen weight plus, optionally, an unmerged
// LoRA update y += scale · (x·Aᵀ)·Bᵀ.
import Kernels

public struct LowRankUpdate: @unchecked Sendable {
    /// A [rank, in], row-major.
    public let a: FloatBuffer
    /// B [out, rank], row-major.
    public let b: FloatBuffer
    public let rank: Int
    public let scale: Float
}

public final class Projection: @unchecked Sendable {
    public let name: String
    public internal(set) var weight: WeightMatrix
    public internal(set) var lora: LowRankUpdate?

    init(name: String, weight: WeightMatrix) {
        self.name = name
        self.weight = weight
    }

    public var inFeatures: Int { weight.cols }
    public var outFeatures: Int { weight.rows }

    /// y[m, out] (+)= x[m, in] · Wᵀ (+ the LoRA term).
    public func apply(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        weight.apply(x, m: m, into: y, accumulate: accumulate)
        guard let lora, m > 0 else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: m * lora.rank) { low in
            let t = low.baseAddress!
            Linear.forward(x, weight: lora.a.pointer, t, rows: m, inFeatures: inFeatures, outFeatures: lora.rank)
            Linear.forward(t, weight: lora.b.pointer, y, rows: m, inFeatures: lora.rank, outFeatures: outFeatures,
                           accumulate: true, scale: lora.scale)
        }
    }
}
