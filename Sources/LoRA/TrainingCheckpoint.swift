import Foundation

/// Everything a killed training run needs to continue exactly where it stopped.
public struct TrainingState: Sendable {
    /// The LoRA parameters under their PEFT keys, in the optimiser's tensor order.
    public var loraTensors: [NamedTensor]
    /// AdamW's step and moments, tensor i belonging to `loraTensors[i]`.
    public var optimizer: AdamW
    public var schedule: LinearSchedule
    public var batching: BatchingOptions
    /// Examples in the training set and epochs of the run: a checkpoint only resumes the same run.
    public var exampleCount: Int
    public var epochs: Int
    public var seed: UInt64
    public var position: DataPosition
    /// A sequential generator the trainer keeps across steps (its state at the checkpoint).
    public var generator: PhiloxGenerator

    public init(loraTensors: [NamedTensor], optimizer: AdamW, schedule: LinearSchedule, batching: BatchingOptions,
                exampleCount: Int, epochs: Int, seed: UInt64, position: DataPosition, generator: PhiloxGenerator) {
        self.loraTensors = loraTensors
        self.optimizer = optimizer
        self.schedule = schedule
        self.batching = batching
        self.exampleCount = exampleCount
        self.epochs = epochs
        self.seed = seed
        self.position = position
        self.generator = generator
    }
}

/// `checkpoint.json`: the Codable part of a checkpoint; the tensors live next to it in
/// the codec's file (LoRA parameters as `<key>`, moments as `exp_avg/<key>` and `exp_avg_sq/<key>`).
public struct TrainingCheckpointManifest: Codable, Equatable, Sendable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var parameterNames: [String]
    public var adamW: AdamWHyperparameters
    public var adamWStep: Int
    public var schedule: LinearSchedule
    public var batching: BatchingOptions
    public var exampleCount: Int
    public var epochs: Int
    public var seed: UInt64
    public var position: DataPosition
    public var generator: PhiloxGenerator
    public var tensorFile: String
    public var tensorFileBytes: Int
    /// FNV-1a 64 of the tensor file, hex: catches truncation and bit rot (not tampering).
    public var tensorFileChecksum: String

    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", parameterNames = "parameter_names", adamW = "adamw"
        case adamWStep = "adamw_step", schedule, batching, exampleCount = "example_count", epochs, seed, position
        case generator = "rng", tensorFile = "tensor_file", tensorFileBytes = "tensor_file_bytes"
        case tensorFileChecksum = "tensor_file_fnv1a64"
    }
}

/// A checkpoint directory: `checkpoint.json` + the codec's tensor file, replaced atomically.
public enum TrainingCheckpoint {
    public static let manifestName = "checkpoint.json"
    /// Largest manifest read (a few KB in practice).
    static let maxManifestBytes = 16 << 20

    /// Writes `state` to `directory`: everything goes to a fresh sibling directory, is
    /// flushed to disk, and then takes the place of any older checkpoint by rename, so a
    /// crash leaves either the old checkpoint or the new one, never a mix.
    public static func write(_ state: TrainingState, to directory: URL, codec: TensorArchiveCodec = RawFloat32Codec()) throws {
        let names = state.loraTensors.map(\.name)
        guard state.optimizer.tensorCount == names.count,
              zip(state.loraTensors, state.optimizer.firstMoments).allSatisfy({ $0.values.count == $1.count }) else {
            throw LoRAError.invalidConfiguration("optimiser state does not match the LoRA tensors")
        }
        var tensors = state.loraTensors
        for (i, t) in state.loraTensors.enumerated() {
            tensors.append(NamedTensor(name: "exp_avg/" + t.name, shape: t.shape, values: state.optimizer.firstMoments[i]))
            tensors.append(NamedTensor(name: "exp_avg_sq/" + t.name, shape: t.shape, values: state.optimizer.secondMoments[i]))
        }
        let blob = try codec.encode(tensors)
        let manifest = TrainingCheckpointManifest(
            formatVersion: TrainingCheckpointManifest.currentFormatVersion, parameterNames: names,
            adamW: state.optimizer.hyper, adamWStep: state.optimizer.step, schedule: state.schedule,
            batching: state.batching, exampleCount: state.exampleCount, epochs: state.epochs, seed: state.seed,
            position: state.position, generator: state.generator, tensorFile: codec.fileName,
            tensorFileBytes: blob.count, tensorFileChecksum: fnv1a64Hex(blob))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestData = try encoder.encode(manifest)

        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            try writeDurably(blob, to: staging.appendingPathComponent(codec.fileName))
            try writeDurably(manifestData, to: staging.appendingPathComponent(manifestName))
            if fm.fileExists(atPath: directory.path) {
                let retired = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(UUID().uuidString)")
                try fm.moveItem(at: directory, to: retired)
                try fm.moveItem(at: staging, to: directory)
                try? fm.removeItem(at: retired)
            } else {
                try fm.moveItem(at: staging, to: directory)
            }
        } catch let e as LoRAError {
            try? fm.removeItem(at: staging)
            throw e
        } catch {
            try? fm.removeItem(at: staging)
            throw LoRAError.io("cannot write checkpoint: \(error.localizedDescription)", path: directory.path)
        }
    }

    /// Reads and checks a checkpoint written by `write`.
    public static func read(from directory: URL, codec: TensorArchiveCodec = RawFloat32Codec()) throws -> TrainingState {
        let manifestURL = directory.appendingPathComponent(manifestName)
        func bad(_ m: String, _ url: URL = manifestURL) -> LoRAError { .badInput(m, path: url.path) }
        let manifestData = try readBounded(manifestURL, limit: maxManifestBytes)
        let manifest: TrainingCheckpointManifest
        do {
            manifest = try JSONDecoder().decode(TrainingCheckpointManifest.self, from: manifestData)
        } catch {
            throw bad("not a checkpoint manifest (\(decodingSummary(error)))")
        }
        guard manifest.formatVersion == TrainingCheckpointManifest.currentFormatVersion else {
            throw bad("checkpoint format \(manifest.formatVersion), this build reads \(TrainingCheckpointManifest.currentFormatVersion)")
        }
        guard manifest.tensorFile == codec.fileName else {
            throw bad("tensors are in \(manifest.tensorFile), expected \(codec.fileName)")
        }
        guard manifest.tensorFileBytes >= 0 else { throw bad("negative tensor file size") }
        let tensorURL = directory.appendingPathComponent(manifest.tensorFile)
        let blob = try readBounded(tensorURL, limit: manifest.tensorFileBytes)
        guard blob.count == manifest.tensorFileBytes, fnv1a64Hex(blob) == manifest.tensorFileChecksum else {
            throw bad("size or checksum differs from the manifest (truncated or corrupt)", tensorURL)
        }
        let tensors = try codec.decode(blob, path: tensorURL.path)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard tensors.count == 3 * manifest.parameterNames.count else {
            throw bad("holds \(tensors.count) tensors, expected \(3 * manifest.parameterNames.count)", tensorURL)
        }
        var lora: [NamedTensor] = [], m: [[Float]] = [], v: [[Float]] = []
        for name in manifest.parameterNames {
            guard let p = byName[name], let a = byName["exp_avg/" + name], let s = byName["exp_avg_sq/" + name],
                  a.shape == p.shape, s.shape == p.shape else {
                throw bad("tensor \(name) or its moments are missing or mis-shaped", tensorURL)
            }
            lora.append(p)
            m.append(a.values)
            v.append(s.values)
        }
        let optimizer: AdamW
        do {
            optimizer = try AdamW(hyper: manifest.adamW, step: manifest.adamWStep, firstMoments: m, secondMoments: v)
        } catch {
            throw bad("\(error)")
        }
        guard manifest.adamWStep == manifest.position.optimizerStep else {
            throw bad("AdamW step \(manifest.adamWStep) differs from the data position's step \(manifest.position.optimizerStep)")
        }
        return TrainingState(loraTensors: lora, optimizer: optimizer, schedule: manifest.schedule, batching: manifest.batching,
                             exampleCount: manifest.exampleCount, epochs: manifest.epochs, seed: manifest.seed,
                             position: manifest.position, generator: manifest.generator)
    }

    /// Throws unless the checkpoint belongs to a run with these settings (resuming with other
    /// data or hyperparameters would silently give a different adapter).
    public static func checkResumable(_ state: TrainingState, batcher: TrainingBatcher, schedule: LinearSchedule,
                                      hyper: AdamWHyperparameters, path: String? = nil) throws {
        var differences: [String] = []
        if state.exampleCount != batcher.exampleLengths.count { differences.append("example count \(state.exampleCount) vs \(batcher.exampleLengths.count)") }
        if state.epochs != batcher.epochs { differences.append("epochs \(state.epochs) vs \(batcher.epochs)") }
        if state.seed != batcher.seed { differences.append("seed \(state.seed) vs \(batcher.seed)") }
        if state.batching != batcher.options { differences.append("batching options") }
        if state.schedule != schedule { differences.append("learning-rate schedule") }
        if state.optimizer.hyper != hyper { differences.append("AdamW hyperparameters") }
        guard differences.isEmpty else {
            throw LoRAError.badInput("checkpoint is from another run: " + differences.joined(separator: ", "), path: path)
        }
        do { try batcher.check(state.position) } catch let e as LoRAError { throw LoRAError(e.kind, e.message, path: path) }
    }

    // MARK: Helpers

    static func writeDurably(_ data: Data, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw LoRAError.io("cannot create file", path: url.path)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    static func readBounded(_ url: URL, limit: Int) throws -> Data {
        let size: Int
        do {
            size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        } catch {
            throw LoRAError.badInput("missing or unreadable", path: url.path)
        }
        guard size <= limit else { throw LoRAError.badInput("is \(size) bytes, more than the \(limit) expected", path: url.path) }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw LoRAError.io("cannot read: \(error.localizedDescription)", path: url.path)
        }
    }

    static func decodingSummary(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "bad value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let c):
            return c.codingPath.isEmpty ? "invalid JSON" : "bad value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "unreadable"
        }
    }
}

/// FNV-1a 64-bit of `data`, as 16 hex digits.
func fnv1a64Hex(_ data: Data) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    data.withUnsafeBytes { raw in
        for byte in raw {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
