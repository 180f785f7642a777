// A T5ForConditionalGeneration: config + weights, loaded from a Hugging Face model directory.
import Failures
import Foundation
import Kernels
import SafeTensors

public final class T5Model: @unchecked Sendable {
    public let config: T5Config
    public let weights: T5Weights
    public let directory: String
    /// A prompt method's rows [n, d_model], placed in front of every source's embeddings (`apply(_: PromptAdapter)`).
    public internal(set) var encoderPrompt: FloatBuffer?
    /// n: the rows of `encoderPrompt` (0 without one).
    public internal(set) var encoderPromptRows = 0
    /// Prefix tuning's keys and values [n, inner] per decoder layer, in front of its self-attention
    /// (`apply(_: PrefixAdapter)`): every decoder cache starts with them at positions 0..<n.
    public internal(set) var decoderPrefix: [(keys: FloatBuffer, values: FloatBuffer)] = []
    /// n: the prefix's positions (0 without one).
    public internal(set) var decoderPrefixRows = 0

    public init(config: T5Config, weights: T5Weights, directory: String) {
        self.config = config
        self.weights = weights
        self.directory = directory
    }

    /// Loads `config.json` and `model.safetensors` from `directory`. fp32 weights stay in the
    /// memory-mapped file (no copy); bf16 keeps a rounded copy (half the bytes per token); nf4 quantizes the linears
    /// bitsandbytes quantizes (`nf4` settings) and keeps the rest as bf16.
    public static func load(directory: String, weightPrecision: WeightMatrix.Precision = .f32,
                            nf4: NF4Settings = NF4Settings()) throws -> T5Model {
        let config = try T5Config.load(path: (directory as NSString).appendingPathComponent("config.json"))
        let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(path: weightsPath)
        let weights = try T5Weights(file: file, config: config, precision: weightPrecision, nf4: nf4)
        // bf16 and nf4 copied what they keep: the mapped fp32 pages they read are not needed again
        if weightPrecision != .f32 {
            file.releaseResidentPages()
            FreedMemory.release()  // and the temporary copies quantization read
        }
        return T5Model(config: config, weights: weights, directory: directory)
    }

    /// Rejects ids outside the vocabulary before they index the embedding.
    func checkTokens(_ sequences: [[Int32]], what: String) throws {
        for (row, ids) in sequences.enumerated() {
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw PipelineError.badInput("row \(row) has token id \(bad) outside the vocabulary of \(config.vocabSize)", path: what)
            }
        }
    }

    func embed(_ ids: [Int32], into out: UnsafeMutablePointer<Float>) {
        let d = config.dModel
        for (i, id) in ids.enumerated() { weights.embedding.copyRow(Int(id), into: out + i * d) }
    }
}
