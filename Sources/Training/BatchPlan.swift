import Failures
import Foundation
import Kernels

/// Which training examples form each optimiser step of a run: step → its micro-batches (example indices).
///
/// Epoch e's order comes from `PhiloxGenerator(seed, stream: RandomStream.epochShuffle(e))`:
/// - plain: a Fisher-Yates permutation of all examples, cut into consecutive batches;
/// - grouped by length (`train.group_by_length`): the permutation is cut into mega-batches of 50 batches,
///   each sorted by length, longest first (stable), cut into batches, and then the batches are shuffled
///   with the same generator, so lengths within a batch are close and the batch order stays random.
///   (HF's LengthGroupedSampler sorts the same way but puts the longest batch first instead.)
/// The last batch of an epoch may be smaller (never dropped). A step sums `gradAccum` micro-batches; an
/// epoch has ceil(batches / gradAccum) steps, its last step possibly fewer micro-batches (as HF Trainer).
/// A `max_steps` budget may end inside an epoch or run past `epochs`. Everything is a function of
/// (seed, step), so a resumed run sees the batches an uninterrupted one would.
public struct BatchPlan: Sendable {
    public let exampleLengths: [Int]
    public let batchSize: Int
    public let gradAccum: Int
    public let groupByLength: Bool
    public let seed: UInt64
    public let stepsPerEpoch: Int
    public let totalSteps: Int

    /// HF's LengthGroupedSampler: a mega-batch holds 50 batches.
    static let megaBatchFactor = 50

    /// `maxSteps` 0: `epochs` whole epochs.
    public init(lengths: [Int], batchSize: Int, gradAccum: Int, epochs: Int, maxSteps: Int,
                seed: UInt64, groupByLength: Bool) throws {
        guard !lengths.isEmpty else { throw PipelineError.usage("the training set is empty") }
        guard batchSize > 0, gradAccum > 0 else {
            throw PipelineError.usage("train.batch_size \(batchSize) and train.grad_accum \(gradAccum) must be positive")
        }
        guard epochs > 0 || maxSteps > 0, maxSteps >= 0 else {
            throw PipelineError.usage("train.epochs \(epochs) or train.max_steps \(maxSteps) must be positive")
        }
        exampleLengths = lengths
        self.batchSize = batchSize
        self.gradAccum = gradAccum
        self.groupByLength = groupByLength
        self.seed = seed
        let batchesPerEpoch = (lengths.count + batchSize - 1) / batchSize
        stepsPerEpoch = (batchesPerEpoch + gradAccum - 1) / gradAccum
        totalSteps = maxSteps > 0 ? maxSteps : epochs * stepsPerEpoch
    }

    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// The micro-batches (example indices) of optimiser step `step` (0-based).
    public func microBatches(ofStep step: Int) -> [[Int]] {
        let batches = batches(epoch: epoch(ofStep: step))
        let first = (step % stepsPerEpoch) * gradAccum
        return Array(batches[first..<min(batches.count, first + gradAccum)])
    }

    /// The batches of `epoch` (0-based), as example indices.
    public func batches(epoch: Int) -> [[Int]] {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.epochShuffle(epoch))
        let order = generator.permutation(exampleLengths.count)
        let b = batchSize
        guard groupByLength else {
            return stride(from: 0, to: order.count, by: b).map { Array(order[$0..<min($0 + b, order.count)]) }
        }
        let mega = Self.megaBatchFactor * b
        var result: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: mega) {
            let chunk = Array(order[start..<min(start + mega, order.count)])
            // Stable descending sort: ties keep the shuffled order.
            let sorted = chunk.indices.sorted { i, j in
                let li = exampleLengths[chunk[i]], lj = exampleLengths[chunk[j]]
                return li != lj ? li > lj : i < j
            }.map { chunk[$0] }
            for s in stride(from: 0, to: sorted.count, by: b) {
                result.append(Array(sorted[s..<min(s + b, sorted.count)]))
            }
        }
        generator.shuffle(&result)
        return result
    }
}
