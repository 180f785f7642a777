import LoRA

/// Which examples form each optimiser step: fixed by the seed, so a resumed run sees the
/// same batches an uninterrupted one would.
///
/// Epoch `e` visits the examples in a Philox permutation (stream `100 + e`); with
/// `groupByLength`, like transformers' LengthGroupedSampler, the permutation is cut into
/// mega-batches of 50 batches, each sorted by source length (longest first), so a batch
/// holds similar lengths and less padding. Batches are never dropped (the last one of an
/// epoch may be short); `gradAccum` consecutive batches make one optimiser step.
public struct TrainingPlan: Sendable, Equatable {
    public let examples: Int
    public let batchSize: Int
    public let gradAccum: Int
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    public let seed: UInt64
    public let groupByLength: Bool
    private let lengths: [Int]

    public init(lengths: [Int], batchSize: Int, gradAccum: Int, epochs: Int, maxSteps: Int,
                seed: UInt64, groupByLength: Bool) {
        examples = lengths.count
        self.batchSize = batchSize
        self.gradAccum = gradAccum
        let batches = (lengths.count + batchSize - 1) / batchSize
        stepsPerEpoch = (batches + gradAccum - 1) / gradAccum
        totalSteps = maxSteps > 0 ? maxSteps : epochs * stepsPerEpoch
        self.seed = seed
        self.groupByLength = groupByLength
        self.lengths = lengths
    }

    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// The micro-batches (example indices) of optimiser step `step` (0-based).
    public func microBatches(ofStep step: Int) -> [[Int]] {
        let batches = batchesOfEpoch(epoch(ofStep: step))
        let first = (step % stepsPerEpoch) * gradAccum
        return Array(batches[first..<min(batches.count, first + gradAccum)])
    }

    public func batchesOfEpoch(_ e: Int) -> [[Int]] {
        var rng = PhiloxGenerator(seed: seed, stream: 100 + UInt64(e))
        var order = rng.permutation(examples)
        if groupByLength {
            let mega = 50 * batchSize
            for start in stride(from: 0, to: order.count, by: mega) {
                let end = min(order.count, start + mega)
                order[start..<end].sort { (lengths[$0], $1) > (lengths[$1], $0) }
            }
        }
        return stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min(order.count, $0 + batchSize)]) }
    }
}
