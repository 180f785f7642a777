// The shape of a T5ForConditionalGeneration, generic over what sits at its leaves. Its one walk
// (`init(config:linear:vector:embedding:head:)`) writes each Hugging Face tensor name once and hands every
// tensor to a binder. Binding to descriptions gives the tensor layout (T5TensorLayout). Binding to the
// file's tensors gives the inference weights (T5Weights) or the training weights (TrainingWeights).
// So every tensor's name and shape is written here and nowhere else.

/// `LinearLeaf`: a bias-free nn.Linear (q k v o wi wo). `VectorLeaf`: a layer norm's weight or a
/// relative-position table. `EmbeddingLeaf`: shared.weight. `HeadLeaf`: lm_head, which may be tied to
/// the embedding.
public struct T5Tree<LinearLeaf: Sendable, VectorLeaf: Sendable, EmbeddingLeaf: Sendable, HeadLeaf: Sendable>: Sendable {
    public struct Attention: Sendable {
        public let q, k, v, o: LinearLeaf
        /// relative_attention_bias.weight [buckets, heads]: self-attention of layer 0 of each stack only.
        public let relativeBias: VectorLeaf?
        public var linears: [LinearLeaf] { [q, k, v, o] }
    }

    public struct FeedForward: Sendable {
        /// wi (ReLU) or wi_0 (gated: the gelu branch).
        public let wi: LinearLeaf
        /// wi_1 (gated only: the linear branch).
        public let wiGate: LinearLeaf?
        public let wo: LinearLeaf
        public var linears: [LinearLeaf] { [wi] + (wiGate.map { [$0] } ?? []) + [wo] }
    }

    public struct EncoderLayer: Sendable {
        public let attentionNorm: VectorLeaf
        public let attention: Attention
        public let feedForwardNorm: VectorLeaf
        public let feedForward: FeedForward
    }

    public struct DecoderLayer: Sendable {
        public let selfAttentionNorm: VectorLeaf
        public let selfAttention: Attention
        public let crossAttentionNorm: VectorLeaf
        public let crossAttention: Attention
        public let feedForwardNorm: VectorLeaf
        public let feedForward: FeedForward
    }

    /// shared.weight [vocab, d_model]: the token embeddings of both stacks.
    public let embedding: EmbeddingLeaf
    public let encoder: [EncoderLayer]
    public let encoderFinalNorm: VectorLeaf
    public let decoder: [DecoderLayer]
    public let decoderFinalNorm: VectorLeaf
    /// lm_head.weight [vocab, d_model], or what `head` made of the embedding when they are tied.
    public let lmHead: HeadLeaf

    /// Walks `config`'s model and binds each tensor: `head` gets lm_head.weight (nil when tied) and the
    /// bound embedding. Leaves are bound in forward order: the embedding; per encoder layer its attention
    /// norm, q k v o (and the position table), feed-forward norm, wi (wi_1) wo; the encoder's final norm;
    /// per decoder layer self-attention, then cross-attention, then feed-forward, each after its norm; the
    /// decoder's final norm; lm_head. So the linears are bound in `linears` order.
    public init(config: T5Config, linear bindLinear: (LinearModule) throws -> LinearLeaf,
                vector bindVector: (StateDictTensor) throws -> VectorLeaf,
                embedding bindEmbedding: (StateDictTensor) throws -> EmbeddingLeaf,
                head bindHead: (StateDictTensor?, EmbeddingLeaf) throws -> HeadLeaf) rethrows {
        let d = config.dModel, inner = config.innerDim, ff = config.dFF, vocab = config.vocabSize
        func linear(_ module: String, out: Int, in inFeatures: Int) throws -> LinearLeaf {
            try bindLinear(LinearModule(module: module, outFeatures: out, inFeatures: inFeatures))
        }
        func vector(_ name: String, shape: [Int]) throws -> VectorLeaf { try bindVector(StateDictTensor(name: name, shape: shape)) }
        func norm(_ name: String) throws -> VectorLeaf { try vector(name, shape: [d]) }
        func attention(_ prefix: String, hasBias: Bool) throws -> Attention {
            let q = try linear(prefix + ".q", out: inner, in: d), k = try linear(prefix + ".k", out: inner, in: d)
            let v = try linear(prefix + ".v", out: inner, in: d), o = try linear(prefix + ".o", out: d, in: inner)
            let bias: VectorLeaf? = try hasBias ? vector(prefix + ".relative_attention_bias.weight",
                                                          shape: [config.relativeAttentionNumBuckets, config.numHeads]) : nil
            return Attention(q: q, k: k, v: v, o: o, relativeBias: bias)
        }
        func feedForward(_ prefix: String) throws -> FeedForward {
            switch config.feedForward {
            case .gatedGelu:
                let wi = try linear(prefix + ".wi_0", out: ff, in: d), gate = try linear(prefix + ".wi_1", out: ff, in: d)
                return FeedForward(wi: wi, wiGate: gate, wo: try linear(prefix + ".wo", out: d, in: ff))
            case .relu:
                let wi = try linear(prefix + ".wi", out: ff, in: d)
                return FeedForward(wi: wi, wiGate: nil, wo: try linear(prefix + ".wo", out: d, in: ff))
            }
        }
        embedding = try bindEmbedding(StateDictTensor(name: "shared.weight", shape: [vocab, d]))
        encoder = try (0..<config.numLayers).map { i in
            let p = "encoder.block.\(i).layer"
            return EncoderLayer(attentionNorm: try norm("\(p).0.layer_norm.weight"),
                                attention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                feedForwardNorm: try norm("\(p).1.layer_norm.weight"),
                                feedForward: try feedForward("\(p).1.DenseReluDense"))
        }
        encoderFinalNorm = try norm("encoder.final_layer_norm.weight")
        decoder = try (0..<config.numDecoderLayers).map { i in
            let p = "decoder.block.\(i).layer"
            return DecoderLayer(selfAttentionNorm: try norm("\(p).0.layer_norm.weight"),
                                selfAttention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                crossAttentionNorm: try norm("\(p).1.layer_norm.weight"),
                                crossAttention: try attention("\(p).1.EncDecAttention", hasBias: false),
                                feedForwardNorm: try norm("\(p).2.layer_norm.weight"),
                                feedForward: try feedForward("\(p).2.DenseReluDense"))
        }
        decoderFinalNorm = try norm("decoder.final_layer_norm.weight")
        let head = config.tieWordEmbeddings ? nil : StateDictTensor(name: "lm_head.weight", shape: [vocab, d])
        lmHead = try bindHead(head, embedding)
    }

    /// Every linear of the stacks (lm_head is not one: it is bound by `head`), encoder then decoder,
    /// per layer attention q k v o (self before cross) then feed-forward.
    public var linears: [LinearLeaf] {
        encoder.flatMap { $0.attention.linears + $0.feedForward.linears }
            + decoder.flatMap { $0.selfAttention.linears + $0.crossAttention.linears + $0.feedForward.linears }
    }
}
