// The tensors of a Hugging Face T5ForConditionalGeneration checkpoint (names and shapes) derived from its
// config: T5Tree with descriptions at its leaves. The FLOP count, the demo model's recipe and the tests read
// it; the engines bind the same walk to the file's tensors (T5Weights, TrainingWeights).
import Failures
import SafeTensors

/// One tensor of the state dict.
public struct StateDictTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
}

/// A bias-free nn.Linear: its module path (what PEFT's target_modules match) and weight [out, in].
public struct LinearModule: Sendable, Equatable {
    /// e.g. "decoder.block.3.layer.1.EncDecAttention.q".
    public let module: String
    public let outFeatures: Int
    public let inFeatures: Int
    public var weight: StateDictTensor { StateDictTensor(name: module + ".weight", shape: [outFeatures, inFeatures]) }
}

/// lm_head is nil when tied to the embedding.
public typealias T5TensorLayout = T5Tree<LinearModule, StateDictTensor, StateDictTensor, StateDictTensor?>

extension T5TensorLayout {
    public init(config: T5Config) {
        self.init(config: config, linear: { $0 }, vector: { $0 }, embedding: { $0 }, head: { head, _ in head })
    }

    /// Every tensor once, in the order of Hugging Face's state_dict (modules in registration order: a
    /// block's attention or feed-forward before its layer norm).
    public var tensors: [StateDictTensor] {
        func attention(_ a: Attention) -> [StateDictTensor] { a.linears.map(\.weight) + (a.relativeBias.map { [$0] } ?? []) }
        var all = [embedding]
        for layer in encoder {
            all += attention(layer.attention) + [layer.attentionNorm]
            all += layer.feedForward.linears.map(\.weight) + [layer.feedForwardNorm]
        }
        all.append(encoderFinalNorm)
        for layer in decoder {
            all += attention(layer.selfAttention) + [layer.selfAttentionNorm]
            all += attention(layer.crossAttention) + [layer.crossAttentionNorm]
            all += layer.feedForward.linears.map(\.weight) + [layer.feedForwardNorm]
        }
        all.append(decoderFinalNorm)
        if let lmHead { all.append(lmHead) }
        return all
    }
}

extension SafeTensorsFile {
    /// The entry for `tensor`, checked to be a float tensor of the layout's shape (an error names the file).
    public func checkedInfo(_ tensor: StateDictTensor) throws -> TensorInfo {
        guard let info = tensors[tensor.name] else { throw PipelineError.badInput("missing tensor '\(tensor.name)'", path: file) }
        guard info.shape == tensor.shape, info.dtype.isFloatingPoint else {
            throw PipelineError.badInput("tensor '\(tensor.name)' is \(info.dtype.rawValue)\(info.shape), expected a float tensor \(tensor.shape)",
                                         path: file)
        }
        return info
    }
}
