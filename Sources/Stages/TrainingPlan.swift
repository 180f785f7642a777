import LoRA

/// Which examples form each optimiser step, over a whole run: LoRA's `TrainingBatcher`
/// (seeded per-epoch order, optional length grouping, never-dropped last batch, gradient
/// accumulation) extended to a `max_steps` budget that may end inside an epoch or run past
/// the configured epochs. A resumed run sees the same batches an uninterrupted one would.
public struct TrainingPlan: Sendable {
    public let batcher: TrainingBatcher
    public let stepsPerEpoch: Int
    public let totalSteps: Int

    public init(lengths: [Int], batchSize: Int, gradAccum: Int, epochs: Int, maxSteps: Int,
                seed: UInt64, groupByLength: Bool) throws {
        let options = BatchingOptions(batchSize: batchSize, groupByLength: groupByLength, gradientAccumulationSteps: gradAccum)
        let probe = try TrainingBatcher(exampleLengths: lengths, options: options, seed: seed, epochs: 1)
        stepsPerEpoch = probe.optimizerStepsPerEpoch
        totalSteps = maxSteps > 0 ? maxSteps : epochs * stepsPerEpoch
        let neededEpochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch
        batcher = try TrainingBatcher(exampleLengths: lengths, options: options, seed: seed, epochs: max(1, neededEpochs))
    }

    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// The micro-batches (example indices) of optimiser step `step` (0-based).
    public func microBatches(ofStep step: Int) -> [[Int]] {
        let batches = batcher.batches(epoch: epoch(ofStep: step))
        let g = batcher.options.gradientAccumulationSteps
        let first = (step % stepsPerEpoch) * g
        return Array(batches[first..<min(batches.count, first + g)])
    }
}
