import Failures
import Foundation

/// How training examples become batches and optimiser steps.
public struct BatchingOptions: Codable, Equatable, Sendable {
    public var batchSize: Int
    /// Sort examples by length inside mega-batches so a batch holds similar lengths (less padding).
    public var groupByLength: Bool
    /// A mega-batch holds `megaBatchFactor × batchSize` examples (HF's LengthGroupedSampler uses 50).
    public var megaBatchFactor: Int
    /// Micro-batches whose gradients add up before one optimiser update.
    public var gradientAccumulationSteps: Int
    /// Drop the last, smaller batch of each epoch (HF's `dataloader_drop_last`, default false).
    public var dropLast: Bool

    public init(batchSize: Int, groupByLength: Bool = false, megaBatchFactor: Int = 50,
                gradientAccumulationSteps: Int = 1, dropLast: Bool = false) {
        self.batchSize = batchSize
        self.groupByLength = groupByLength
        self.megaBatchFactor = megaBatchFactor
        self.gradientAccumulationSteps = gradientAccumulationSteps
        self.dropLast = dropLast
    }

    private enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", groupByLength = "group_by_length", megaBatchFactor = "mega_batch_factor"
        case gradientAccumulationSteps = "gradient_accumulation_steps", dropLast = "drop_last"
    }
}

/// Where a run stands in its data: the next micro-batch to train on. Everything else
/// (the epoch's order, the dropout stream) is recomputed from the seed, so this is all
/// a resumed run needs to continue with the very same batches.
public struct DataPosition: Codable, Equatable, Sendable {
    /// 0-based epoch of the next micro-batch.
    public var epoch: Int
    /// Index of the next micro-batch within that epoch (always the start of an accumulation group).
    public var batchInEpoch: Int
    /// Optimiser updates done so far.
    public var optimizerStep: Int
    /// Micro-batches done so far (indexes the dropout stream).
    public var microStep: Int

    public static let start = DataPosition(epoch: 0, batchInEpoch: 0, optimizerStep: 0, microStep: 0)

    public init(epoch: Int, batchInEpoch: Int, optimizerStep: Int, microStep: Int) {
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.optimizerStep = optimizerStep
        self.microStep = microStep
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, batchInEpoch = "batch_in_epoch", optimizerStep = "optimizer_step", microStep = "micro_step"
    }
}

/// One optimiser update's worth of work.
public struct OptimizerStepPlan: Equatable, Sendable {
    public var epoch: Int
    /// 0-based update number over the whole run (the schedule's step).
    public var optimizerStep: Int
    /// The micro-batches (lists of example indices) whose gradients are summed.
    public var microBatches: [[Int]]
    /// The overall micro-step of the first micro-batch (the next ones follow).
    public var firstMicroStep: Int
    /// Where the run stands once this update is done.
    public var positionAfter: DataPosition
}

/// The per-epoch order of the training set, cut into batches and accumulation groups.
///
/// Epoch e's order comes from `PhiloxGenerator(seed, stream: RandomStream.epochShuffle(e))`:
/// - plain: a Fisher-Yates permutation of all examples, cut into consecutive batches;
/// - grouped by length: the permutation is cut into mega-batches, each sorted by length,
///   longest first (stable), cut into batches, and then the batches are shuffled with the same
///   generator, so lengths within a batch are close and the batch order stays random.
///   (HF's LengthGroupedSampler sorts the same way but puts the longest batch first instead.)
/// An epoch has ceil(batches / accumulation) updates; the last may have fewer micro-batches
/// (as HF Trainer does).
public struct TrainingBatcher: Sendable {
    public let exampleLengths: [Int]
    public let options: BatchingOptions
    public let seed: UInt64
    public let epochs: Int

    public init(exampleLengths: [Int], options: BatchingOptions, seed: UInt64, epochs: Int) throws {
        guard !exampleLengths.isEmpty else { throw PipelineError.usage("the training set is empty") }
        guard options.batchSize > 0 else { throw PipelineError.usage("batch size \(options.batchSize) must be positive") }
        guard options.megaBatchFactor > 0 else {
            throw PipelineError.usage("mega-batch factor \(options.megaBatchFactor) must be positive")
        }
        guard options.gradientAccumulationSteps > 0 else {
            throw PipelineError.usage("gradient accumulation steps \(options.gradientAccumulationSteps) must be positive")
        }
        guard epochs > 0 else { throw PipelineError.usage("epochs \(epochs) must be positive") }
        guard !options.dropLast || exampleLengths.count >= options.batchSize else {
            throw PipelineError.usage("\(exampleLengths.count) examples make no full batch of \(options.batchSize)")
        }
        self.exampleLengths = exampleLengths
        self.options = options
        self.seed = seed
        self.epochs = epochs
    }

    public var batchesPerEpoch: Int {
        let n = exampleLengths.count, b = options.batchSize
        return options.dropLast ? n / b : (n + b - 1) / b
    }

    public var optimizerStepsPerEpoch: Int {
        (batchesPerEpoch + options.gradientAccumulationSteps - 1) / options.gradientAccumulationSteps
    }

    public var totalOptimizerSteps: Int { optimizerStepsPerEpoch * epochs }

    /// The batches of `epoch` (0-based), as example indices.
    public func batches(epoch: Int) -> [[Int]] {
        var generator = PhiloxGenerator(seed: seed, stream: RandomStream.epochShuffle(epoch))
        let order = generator.permutation(exampleLengths.count)
        let b = options.batchSize
        var result: [[Int]]
        if options.groupByLength {
            let mega = options.megaBatchFactor * b
            result = []
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
        } else {
            result = stride(from: 0, to: order.count, by: b).map { Array(order[$0..<min($0 + b, order.count)]) }
        }
        if options.dropLast { result.removeAll { $0.count < b } }
        return result
    }

    /// The update that starts at `position`, or nil when all epochs are done.
    public func plan(at position: DataPosition) throws -> OptimizerStepPlan? {
        try check(position)
        if position.epoch >= epochs { return nil }
        let all = batches(epoch: position.epoch)
        let end = min(position.batchInEpoch + options.gradientAccumulationSteps, all.count)
        let micro = Array(all[position.batchInEpoch..<end])
        var after = DataPosition(epoch: position.epoch, batchInEpoch: end,
                                 optimizerStep: position.optimizerStep + 1, microStep: position.microStep + micro.count)
        if end == all.count {
            after.epoch += 1
            after.batchInEpoch = 0
        }
        return OptimizerStepPlan(epoch: position.epoch, optimizerStep: position.optimizerStep, microBatches: micro,
                                 firstMicroStep: position.microStep, positionAfter: after)
    }

    /// Throws unless `position` is one this batcher can reach (e.g. a checkpoint of another data set).
    public func check(_ position: DataPosition) throws {
        let accumulation = options.gradientAccumulationSteps
        let valid = position.epoch >= 0 && position.epoch <= epochs
            && position.batchInEpoch >= 0 && position.batchInEpoch < batchesPerEpoch
            && position.batchInEpoch % accumulation == 0
            && (position.epoch < epochs || position.batchInEpoch == 0)
            && position.optimizerStep == position.epoch * optimizerStepsPerEpoch + position.batchInEpoch / accumulation
            && position.microStep == position.epoch * batchesPerEpoch + position.batchInEpoch
        guard valid else {
            throw PipelineError.badInput("data position \(position) does not fit \(exampleLengths.count) examples "
                + "in batches of \(options.batchSize) over \(epochs) epochs")
        }
    }
}
