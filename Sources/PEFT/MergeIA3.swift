/// Folds an IA3 vector into its base weight, as PEFT's `merge` does (`W * ia3_l`, broadcast): W [out, in] row-major
/// fp32; `scaling` has `out` values (rows scaled: the output) or, on a feed-forward module, `in` values (columns
/// scaled: the input).
public func mergeIA3(into weight: UnsafeMutablePointer<Float>, scaling: UnsafePointer<Float>, inFeatures: Int,
                     outFeatures: Int, feedForward: Bool) {
    for o in 0..<outFeatures {
        let row = weight + o * inFeatures
        if feedForward {
            for i in 0..<inFeatures { row[i] *= scaling[i] }
        } else {
            let s = scaling[o]
            for i in 0..<inFeatures { row[i] *= s }
        }
    }
}
