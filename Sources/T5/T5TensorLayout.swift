// The tensors of a Hugging Face T5ForConditionalGeneration checkpoint (names and shapes) derived from its
// config: the one place the weight tree is spelled out. The inference engine (T5Weights), the training
// engine (TrainingWeights) and the FLOP count all walk this description; none writes a tensor name itself.
import Failures
import SafeTensors

public struct T5TensorLayout: Sendable, Equatable {
    /// One tensor of the state dict.
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
    }

    /// A bias-free nn.Linear: its module path (what PEFT's target_modules match) and weight [out, in].
    public struct Linear: Sendable, Equatable {
        /// e.g. "decoder.block.3.layer.1.EncDecAttention.q".
        public let module: String
        public let outFeatures: Int
        public let inFeatures: Int
        public var weight: Tensor { Tensor(name: module + ".weight", shape: [outFeatures, inFeatures]) }
    }

    public struct Attention: Sendable, Equatable {
        public let q, k, v, o: Linear
        /// relative_attention_bias.weight [buckets, heads]: self-attention of layer 0 of each stack only.
        public let relativeBias: Tensor?
        public var linears: [Linear] { [q, k, v, o] }
    }

    public struct FeedForward: Sendable, Equatable {
        /// wi (ReLU) or wi_0 (gated: the gelu branch).
        public let wi: Linear
        /// wi_1 (gated only: the linear branch).
        public let wiGate: Linear?
        public let wo: Linear
        public var linears: [Linear] { [wi] + (wiGate.map { [$0] } ?? []) + [wo] }
    }

    public struct EncoderLayer: Sendable, Equatable {
        public let attentionNorm: Tensor
        public let attention: Attention
        public let feedForwardNorm: Tensor
        public let feedForward: FeedForward
    }

    public struct DecoderLayer: Sendable, Equatable {
        public let selfAttentionNorm: Tensor
        public let selfAttention: Attention
        public let crossAttentionNorm: Tensor
        public let crossAttention: Attention
        public let feedForwardNorm: Tensor
        public let feedForward: FeedForward
    }

    /// shared.weight [vocab, d_model]: the token embeddings of both stacks.
    public let embedding: Tensor
    public let encoder: [EncoderLayer]
    public let encoderFinalNorm: Tensor
    public let decoder: [DecoderLayer]
    public let decoderFinalNorm: Tensor
    /// lm_head.weight [vocab, d_model]; nil when tied to `embedding`.
    public let lmHead: Tensor?

    public init(config: T5Config) {
        let d = config.dModel, inner = config.innerDim, ff = config.dFF
        func linear(_ module: String, out: Int, in inFeatures: Int) -> Linear {
            Linear(module: module, outFeatures: out, inFeatures: inFeatures)
        }
        func norm(_ name: String) -> Tensor { Tensor(name: name, shape: [d]) }
        func attention(_ prefix: String, hasBias: Bool) -> Attention {
            Attention(q: linear(prefix + ".q", out: inner, in: d), k: linear(prefix + ".k", out: inner, in: d),
                      v: linear(prefix + ".v", out: inner, in: d), o: linear(prefix + ".o", out: d, in: inner),
                      relativeBias: hasBias ? Tensor(name: prefix + ".relative_attention_bias.weight",
                                                     shape: [config.relativeAttentionNumBuckets, config.numHeads]) : nil)
        }
        func feedForward(_ prefix: String) -> FeedForward {
            switch config.feedForward {
            case .gatedGelu:
                return FeedForward(wi: linear(prefix + ".wi_0", out: ff, in: d), wiGate: linear(prefix + ".wi_1", out: ff, in: d),
                                   wo: linear(prefix + ".wo", out: d, in: ff))
            case .relu:
                return FeedForward(wi: linear(prefix + ".wi", out: ff, in: d), wiGate: nil, wo: linear(prefix + ".wo", out: d, in: ff))
            }
        }
        embedding = Tensor(name: "shared.weight", shape: [config.vocabSize, d])
        encoder = (0..<config.numLayers).map { i in
            let p = "encoder.block.\(i).layer"
            return EncoderLayer(attentionNorm: norm("\(p).0.layer_norm.weight"),
                                attention: attention("\(p).0.SelfAttention", hasBias: i == 0),
                                feedForwardNorm: norm("\(p).1.layer_norm.weight"),
                                feedForward: feedForward("\(p).1.DenseReluDense"))
        }
        encoderFinalNorm = norm("encoder.final_layer_norm.weight")
        decoder = (0..<config.numDecoderLayers).map { i in
            let p = "decoder.block.\(i).layer"
            return DecoderLayer(selfAttentionNorm: norm("\(p).0.layer_norm.weight"),
                                selfAttention: attention("\(p).0.SelfAttention", hasBias: i == 0),
                                crossAttentionNorm: norm("\(p).1.layer_norm.weight"),
                                crossAttention: attention("\(p).1.EncDecAttention", hasBias: false),
                                feedForwardNorm: norm("\(p).2.layer_norm.weight"),
                                feedForward: feedForward("\(p).2.DenseReluDense"))
        }
        decoderFinalNorm = norm("decoder.final_layer_norm.weight")
        lmHead = config.tieWordEmbeddings ? nil : Tensor(name: "lm_head.weight", shape: [config.vocabSize, d])
    }

    /// Every linear of the stacks (lm_head is not one: it is bound as a plain tensor), encoder then decoder,
    /// per layer attention q k v o (self before cross) then feed-forward.
    public var linears: [Linear] {
        encoder.flatMap { $0.attention.linears + $0.feedForward.linears }
            + decoder.flatMap { $0.selfAttention.linears + $0.crossAttention.linears + $0.feedForward.linears }
    }

    /// Every tensor once, in the order of Hugging Face's state_dict (modules in registration order).
    public var tensors: [Tensor] {
        func attention(_ a: Attention) -> [Tensor] { a.linears.map(\.weight) + (a.relativeBias.map { [$0] } ?? []) }
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
    public func checkedInfo(_ tensor: T5TensorLayout.Tensor) throws -> TensorInfo {
        guard let info = tensors[tensor.name] else { throw PipelineError.badInput("missing tensor '\(tensor.name)'", path: file) }
        guard info.shape == tensor.shape, info.dtype.isFloatingPoint else {
            throw PipelineError.badInput("tensor '\(tensor.name)' is \(info.dtype.rawValue)\(info.shape), expected a float tensor \(tensor.shape)",
                                         path: file)
        }
        return info
    }
}
