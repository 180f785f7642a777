import T5Training

// The trainable gradients as one buffer: what a step's micro-batches add up, in one process or across ranks.
extension T5TrainingModel {
    /// Every trainable parameter's gradient, concatenated in `trainableParameters` order.
    func flatGradients() -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(trainableParameters.reduce(0) { $0 + $1.count })
        for p in trainableParameters { flat.append(contentsOf: UnsafeBufferPointer(start: p.gradient!, count: p.count)) }
        return flat
    }

    /// Sets every trainable gradient from `flatGradients()`'s layout.
    func setGradients(_ flat: [Float]) {
        var offset = 0
        flat.withUnsafeBufferPointer { all in
            for p in trainableParameters {
                p.gradient!.update(from: all.baseAddress! + offset, count: p.count)
                offset += p.count
            }
        }
    }
}

/// `sum += part`, elementwise (the fixed-order sum of micro-batch gradients).
func addInPlace(_ sum: inout [Float], _ part: [Float]) {
    precondition(sum.count == part.count)
    sum.withUnsafeMutableBufferPointer { s in
        part.withUnsafeBufferPointer { p in for i in 0..<s.count { s[i] += p[i] } }
    }
}
