// Per-step state shared by the blocks: train/eval mode, the dropout seed and step counter, and the
// scratch arena for temporaries (worker threads are Kernels.Parallel's).

final class StepContext: @unchecked Sendable {
    var training = false
    var dropoutRate: Float = 0
    var seed: UInt64 = 0
    var step: UInt64 = 0
    /// Temporaries that live for one block's forward or backward.
    let scratch = Arena()
    /// Time spent in the per-(sequence, head) attention products, softmax and bias gradient since the
    /// step began (the q/k/v/o projections not included): what `T5TrainingModel.lastAttentionSeconds` reports.
    var attention: Duration = .zero

    /// T5's own dropout at `site`, or nil when off (eval mode or rate 0).
    func dropout(site: UInt64) -> DropoutMask? {
        guard training, dropoutRate > 0 else { return nil }
        let mask = DropoutMask(probability: dropoutRate, seed: seed, step: step, site: site)
        return mask.isActive ? mask : nil
    }

    /// LoRA dropout of one adapter.
    func loraDropout(_ probability: Float, site: UInt64) -> DropoutMask? {
        guard training, probability > 0 else { return nil }
        let mask = DropoutMask(probability: probability, seed: seed, step: step, site: site)
        return mask.isActive ? mask : nil
    }
}

/// Dropout site numbers of T5's own dropouts (LoRA sites are 10_000_000 + linear index).
enum DropoutSite {
    enum Place: UInt64 {
        case embedding = 0, attentionProbs, attentionOutput, crossProbs, crossOutput, feedForwardHidden, feedForwardOutput, finalNorm
    }

    static func of(decoder: Bool, layer: Int, _ place: Place) -> UInt64 {
        (decoder ? 1_000_000 : 0) + UInt64(layer + 1) * 100 + place.rawValue
    }
}
