import Failures
import Foundation
import JSON
import Pipeline
import SafeTensors
import T5Training

/// A resumable snapshot of a training run: the trainable tensors, the optimiser's moments,
/// the step counters and the log so far. Dropout masks and batch order are functions of
/// (seed, step), so nothing else is needed to continue to the same bytes. With `train.keep: best`
/// the best state so far is saved too.
///
///     checkpoint/state.json            step, forward passes; best step, its validation loss (and metric), evaluations since
///     checkpoint/tensors.safetensors   <name>, <name>.adam_m, <name>.adam_v (and <name>.best)
///     checkpoint/log.jsonl             the deterministic log lines so far
struct Checkpoint {
    static let format = "flan-lora-checkpoint/2"

    var step: Int
    var forwardPasses: UInt64
    var values: [String: [Float]]
    var firstMoments: [String: [Float]]
    var secondMoments: [String: [Float]]
    var log: [String]
    var best: BestSoFar?

    /// Writes into a temp dir and swaps it in with renames: a kill leaves the old or the new one.
    func write(to directory: URL) throws {
        let tmp = directory.appendingPathComponent("checkpoint.tmp")
        let dest = directory.appendingPathComponent("checkpoint")
        let old = directory.appendingPathComponent("checkpoint.old")
        try? FileManager.default.removeItem(at: tmp)
        try AtomicFile.createDirectory(tmp)
        var w = SafeTensorsWriter(metadata: ["format": Checkpoint.format])
        for name in values.keys.sorted() {
            try w.add(name, shape: [values[name]!.count], floats: values[name]!)
            try w.add(name + ".adam_m", shape: [firstMoments[name]!.count], floats: firstMoments[name]!)
            try w.add(name + ".adam_v", shape: [secondMoments[name]!.count], floats: secondMoments[name]!)
            if let best { try w.add(name + ".best", shape: [best.values[name]!.count], floats: best.values[name]!) }
        }
        try w.write(to: tmp.appendingPathComponent("tensors.safetensors").path)
        var state: [String: JSONValue] = ["format": .string(Checkpoint.format), "step": .int(step),
                                          "forward_passes": .int(Int(forwardPasses))]
        if let best {
            var record: [String: JSONValue] = ["step": .int(best.step), "validation_loss": .double(Double(best.validationLoss)),
                                               "evaluations_without_improvement": .int(best.evaluationsWithoutImprovement)]
            if let metric = best.metric { record["metric"] = .double(metric) }
            state["best"] = .object(record)
        }
        try AtomicFile.write(JSONValue.object(state).pretty, to: tmp.appendingPathComponent("state.json"))
        try AtomicFile.write(log.joined(), to: tmp.appendingPathComponent("log.jsonl"))
        AtomicFile.fsyncDirectory(tmp)
        try? FileManager.default.removeItem(at: old)
        if FileManager.default.fileExists(atPath: dest.path) { try AtomicFile.rename(dest, to: old) }
        try AtomicFile.rename(tmp, to: dest)
        try? FileManager.default.removeItem(at: old)
        AtomicFile.fsyncDirectory(directory)
    }

    /// The checkpoint in `directory`, nil if there is none; a damaged one is an error.
    static func read(from directory: URL, names: [String]) throws -> Checkpoint? {
        var dir = directory.appendingPathComponent("checkpoint")
        if !FileManager.default.fileExists(atPath: dir.path) {
            // Killed between the two renames of `write`: the previous checkpoint is complete.
            dir = directory.appendingPathComponent("checkpoint.old")
            guard FileManager.default.fileExists(atPath: dir.path) else { return nil }
        }
        let statePath = dir.appendingPathComponent("state.json").path
        guard let data = FileManager.default.contents(atPath: statePath),
              let state = try? JSONValue.parse(data, path: statePath),
              state["format"]?.stringValue == format,
              let step = state["step"]?.intValue, let passes = state["forward_passes"]?.intValue else {
            throw PipelineError.badInput("not a readable checkpoint of this pipeline", path: statePath)
        }
        let file = try SafeTensorsFile(path: dir.appendingPathComponent("tensors.safetensors").path)
        var c = Checkpoint(step: step, forwardPasses: UInt64(passes), values: [:], firstMoments: [:],
                                   secondMoments: [:], log: [])
        for n in names {
            c.values[n] = try file.floats(n)
            c.firstMoments[n] = try file.floats(n + ".adam_m")
            c.secondMoments[n] = try file.floats(n + ".adam_v")
        }
        if let best = state["best"] {
            guard let bestStep = best["step"]?.intValue, let loss = best["validation_loss"]?.doubleValue,
                  let since = best["evaluations_without_improvement"]?.intValue else {
                throw PipelineError.badInput("the checkpoint's best state is incomplete", path: statePath)
            }
            var values: [String: [Float]] = [:]
            for n in names { values[n] = try file.floats(n + ".best") }
            c.best = BestSoFar(step: bestStep, validationLoss: Float(loss), metric: best["metric"]?.doubleValue, values: values,
                               evaluationsWithoutImprovement: since)
        }
        let logText = (try? String(contentsOf: dir.appendingPathComponent("log.jsonl"), encoding: .utf8)) ?? ""
        c.log = logText.split(separator: "\n", omittingEmptySubsequences: true).map { $0 + "\n" }
        return c
    }
}
