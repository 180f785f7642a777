import XCTest
@testable import LoRA

final class TrainingCheckpointTests: XCTestCase {
    func testRawArchiveRoundTripsAndRejectsCorruption() throws {
        let codec = RawFloat32Codec()
        let tensors = [NamedTensor(name: "a.lora_A.weight", shape: [2, 3], values: [1, -2, 3.5, .leastNonzeroMagnitude, -0.0, 7]),
                       NamedTensor(name: "é", shape: [], values: [42]),
                       NamedTensor(name: "empty", shape: [0, 4], values: [])]
        let data = try codec.encode(tensors)
        let back = try codec.decode(data, path: "t.f32")
        XCTAssertEqual(back.map(\.name), tensors.map(\.name))
        XCTAssertEqual(back.map(\.shape), tensors.map(\.shape))
        XCTAssertEqual(back.map { $0.values.map(\.bitPattern) }, tensors.map { $0.values.map(\.bitPattern) })
        // Every truncation is an error, never a crash.
        for cut in stride(from: 0, to: data.count, by: 3) {
            XCTAssertThrowsError(try codec.decode(data.prefix(cut), path: "t.f32"), "cut at \(cut)") { e in
                XCTAssertTrue("\(e)".hasPrefix("t.f32: tensor archive: "), "\(e)")
            }
        }
        var hostile = data
        hostile.replaceSubrange(8..<12, with: [0xff, 0xff, 0xff, 0x7f]) // absurd tensor count
        XCTAssertThrowsError(try codec.decode(hostile, path: "t.f32"))
        var huge = data
        // First tensor's first dimension: after magic(8) count(4) nameLen(4) name(15) rank(4).
        huge.replaceSubrange(35..<43, with: [0, 0, 0, 0, 0, 0, 0, 0x10])
        XCTAssertThrowsError(try codec.decode(huge, path: "t.f32"))
    }

    func makeState(step: Int) throws -> TrainingState {
        var g = PhiloxGenerator(seed: 42, stream: RandomStream.loraInitialization)
        let module = AdaptedModule(name: "encoder.block.0.layer.0.SelfAttention.q", inFeatures: 6, outFeatures: 5)
        let (a, b) = initializeLoRAWeights(rank: 2, inFeatures: 6, outFeatures: 5, generator: &g)
        var optimizer = AdamW(tensorSizes: [a.count, b.count])
        var params = [a, b]
        for _ in 0..<step {
            optimizer.step(parameters: &params, gradients: [a.map { $0 * 0.3 }, b.map { $0 + 0.1 }], learningRate: 1e-3)
        }
        return TrainingState(
            loraTensors: [NamedTensor(name: module.loraAKey, shape: [2, 6], values: params[0]),
                          NamedTensor(name: module.loraBKey, shape: [5, 2], values: params[1])],
            optimizer: optimizer, schedule: try LinearSchedule(baseLearningRate: 1e-3, totalSteps: 10),
            batching: .init(batchSize: 2), exampleCount: 10, epochs: 2, seed: 42,
            position: DataPosition(epoch: 0, batchInEpoch: step, optimizerStep: step, microStep: step), generator: g)
    }

    func testCheckpointRoundTripsAndReplacesAtomically() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("checkpoint")
        try TrainingCheckpoint.write(try makeState(step: 2), to: target)
        let state = try makeState(step: 3)
        try TrainingCheckpoint.write(state, to: target)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["checkpoint"], "no staging left behind")
        let back = try TrainingCheckpoint.read(from: target)
        XCTAssertEqual(back.loraTensors, state.loraTensors)
        XCTAssertEqual(back.optimizer.step, 3)
        XCTAssertEqual(back.optimizer.firstMoments, state.optimizer.firstMoments)
        XCTAssertEqual(back.optimizer.secondMoments, state.optimizer.secondMoments)
        XCTAssertEqual(back.position, state.position)
        XCTAssertEqual(back.generator, state.generator)
        XCTAssertEqual(back.schedule, state.schedule)
        XCTAssertEqual(back.batching, state.batching)
        let batcher = try TrainingBatcher(exampleLengths: Array(repeating: 1, count: 10), options: .init(batchSize: 2),
                                          seed: 42, epochs: 2)
        XCTAssertNoThrow(try TrainingCheckpoint.checkResumable(back, batcher: batcher, schedule: back.schedule, hyper: .init()))
        let other = try TrainingBatcher(exampleLengths: Array(repeating: 1, count: 12), options: .init(batchSize: 2),
                                        seed: 42, epochs: 2)
        XCTAssertThrowsError(try TrainingCheckpoint.checkResumable(back, batcher: other, schedule: back.schedule,
                                                                   hyper: .init(), path: "ckpt")) { e in
            XCTAssertTrue("\(e)".hasPrefix("ckpt: checkpoint is from another run: example count 10 vs 12"), "\(e)")
        }
    }

    func testCorruptCheckpointsGiveOneLineErrors() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("ckpt")
        try TrainingCheckpoint.write(try makeState(step: 1), to: target)
        let tensors = target.appendingPathComponent("tensors.f32")
        var blob = try Data(contentsOf: tensors)
        blob[blob.count - 1] ^= 0x40
        try blob.write(to: tensors)
        XCTAssertThrowsError(try TrainingCheckpoint.read(from: target)) { e in
            XCTAssertTrue("\(e)".contains("tensors.f32: size or checksum differs"), "\(e)")
        }
        try Data("{\"format_version\": 1}".utf8).write(to: target.appendingPathComponent("checkpoint.json"))
        XCTAssertThrowsError(try TrainingCheckpoint.read(from: target)) { e in
            XCTAssertTrue("\(e)".contains("checkpoint.json: not a checkpoint manifest (missing"), "\(e)")
        }
        XCTAssertThrowsError(try TrainingCheckpoint.read(from: dir.appendingPathComponent("absent"))) { e in
            XCTAssertTrue("\(e)".contains("missing or unreadable"), "\(e)")
        }
    }

    /// A toy run (least squares on 2 parameters, dropout on the inputs, AdamW, schedule,
    /// clipping, accumulation) stopped after a checkpoint and resumed from disk ends with
    /// the same bytes as an uninterrupted run.
    func testResumeFromCheckpointGivesTheUninterruptedResult() throws {
        let n = 23
        var data = PhiloxGenerator(seed: 5)
        let xs = (0..<n).map { _ in (data.nextFloat() * 2 - 1, data.nextFloat() * 2 - 1) }
        let ys = xs.map { 3 * $0.0 - 2 * $0.1 + 0.5 }
        let batcher = try TrainingBatcher(exampleLengths: (0..<n).map { $0 % 5 },
                                          options: .init(batchSize: 3, groupByLength: true, megaBatchFactor: 2,
                                                         gradientAccumulationSteps: 2), seed: 42, epochs: 3)
        let schedule = try LinearSchedule(baseLearningRate: 0.05, warmupSteps: 2, totalSteps: batcher.totalOptimizerSteps)

        func train(_ state: inout TrainingState, stopAfter: Int?) throws {
            var params = state.loraTensors.map(\.values)
            while let plan = try batcher.plan(at: state.position) {
                var grads: [[Float]] = [[0, 0]]
                for (k, batch) in plan.microBatches.enumerated() {
                    var dropout = PhiloxGenerator(seed: batcher.seed, stream: RandomStream.dropout(microStep: plan.firstMicroStep + k))
                    var mask = [Float](repeating: 0, count: 2 * batch.count)
                    mask.withUnsafeMutableBufferPointer { dropout.fillDropoutMask($0, dropProbability: 0.1) }
                    for (j, i) in batch.enumerated() {
                        let x0 = xs[i].0 * mask[2 * j], x1 = xs[i].1 * mask[2 * j + 1]
                        let r = params[0][0] * x0 + params[0][1] * x1 - ys[i]
                        grads[0][0] += r * x0
                        grads[0][1] += r * x1
                    }
                }
                clipGradientNorm(&grads, maxNorm: 1)
                state.optimizer.step(parameters: &params, gradients: grads,
                                     learningRate: schedule.learningRate(atStep: plan.optimizerStep))
                state.position = plan.positionAfter
                _ = state.generator.nextUInt32()
                state.loraTensors[0].values = params[0]
                if plan.optimizerStep + 1 == stopAfter { return }
            }
        }
        func fresh() -> TrainingState {
            TrainingState(loraTensors: [NamedTensor(name: "w", shape: [2], values: [0, 0])],
                          optimizer: AdamW(tensorSizes: [2]), schedule: schedule, batching: batcher.options,
                          exampleCount: n, epochs: 3, seed: 42, position: .start,
                          generator: PhiloxGenerator(seed: 42, stream: 99))
        }
        var straight = fresh()
        try train(&straight, stopAfter: nil)
        XCTAssertEqual(straight.position.optimizerStep, batcher.totalOptimizerSteps)

        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var first = fresh()
        try train(&first, stopAfter: 5) // mid-epoch 1
        XCTAssertEqual(first.position.epoch, 1)
        try TrainingCheckpoint.write(first, to: dir.appendingPathComponent("ckpt"))
        var resumed = try TrainingCheckpoint.read(from: dir.appendingPathComponent("ckpt"))
        try TrainingCheckpoint.checkResumable(resumed, batcher: batcher, schedule: schedule, hyper: .init())
        try train(&resumed, stopAfter: nil)

        XCTAssertEqual(resumed.loraTensors[0].values.map(\.bitPattern), straight.loraTensors[0].values.map(\.bitPattern))
        XCTAssertEqual(resumed.optimizer.secondMoments, straight.optimizer.secondMoments)
        XCTAssertEqual(resumed.generator, straight.generator)
        XCTAssertNotEqual(straight.loraTensors[0].values, [0, 0])
    }
}
