// The inference engine's weights: T5TensorLayout's tensors bound from the file, shape-checked, mapped zero-copy where they can be.
import Kernels
import SafeTensors

public struct AttentionWeights: Sendable {
    public let q, k, v, o: Projection
    /// relative_attention_bias.weight [buckets, heads], only in the first layer of each stack.
    public let relativeBias: [Float]?
}

public struct FeedForwardWeights: Sendable {
    /// wi (ReLU) or wi_0 (gated: the gelu branch).
    public let wi: Projection
    /// wi_1 (gated only: the linear branch).
    public let wiGate: Projection?
    public let wo: Projection
}

public struct EncoderLayerWeights: Sendable {
    public let attentionNorm: [Float]
    public let attention: AttentionWeights
    public let feedForwardNorm: [Float]
    public let feedForward: FeedForwardWeights
}

public struct DecoderLayerWeights: Sendable {
    public let selfAttentionNorm: [Float]
    public let selfAttention: AttentionWeights
    public let crossAttentionNorm: [Float]
    public let crossAttention: AttentionWeights
    public let feedForwardNorm: [Float]
    public let feedForward: FeedForwardWeights
}

public struct T5Weights: Sendable {
    /// shared.weight [vocab, d_model] (token embeddings of both stacks).
    public let embedding: WeightMatrix
    public let encoder: [EncoderLayerWeights]
    public let encoderFinalNorm: [Float]
    public let decoder: [DecoderLayerWeights]
    public let decoderFinalNorm: [Float]
    /// lm_head.weight, or `embedding` when tied.
    public let lmHead: WeightMatrix

    /// Every projection by its HF module path (e.g. "encoder.block.0.layer.0.SelfAttention.q").
    public var projections: [String: Projection] {
        var all: [String: Projection] = [:]
        func add(_ a: AttentionWeights) { for p in [a.q, a.k, a.v, a.o] { all[p.name] = p } }
        func add(_ f: FeedForwardWeights) { for p in [f.wi, f.wiGate, f.wo].compactMap({ $0 }) { all[p.name] = p } }
        for layer in encoder { add(layer.attention); add(layer.feedForward) }
        for layer in decoder { add(layer.selfAttention); add(layer.crossAttention); add(layer.feedForward) }
        return all
    }

    static func bind(file: SafeTensorsFile, config: T5Config, precision: WeightMatrix.Precision) throws -> T5Weights {
        func matrix(_ tensor: StateDictTensor) throws -> WeightMatrix {
            let info = try file.checkedInfo(tensor)
            let name = tensor.name, rows = tensor.shape[0], cols = tensor.shape[1]
            switch (info.dtype, precision) {
            case (.f32, .f32):
                if let view = try file.float32View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .f32(view.baseAddress!), owner: file)
                }
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name))
            case (.bf16, .bf16):
                if let view = try file.bf16View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .bf16(view.baseAddress!), owner: file)
                }
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name)).converted(to: .bf16)
            case (.f32, .bf16):
                // rounded straight from the mapping (no fp32 copy first)
                if let view = try file.float32View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .f32(view.baseAddress!), owner: file).converted(to: .bf16)
                }
                fallthrough
            default:
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name)).converted(to: precision)
            }
        }
        /// Norm weights and position biases: small, kept in fp32; in the bf16 mode their values are rounded to
        /// bf16 like every base tensor (as `model.to(torch.bfloat16)`, and as the trainer's bf16 mode).
        func vector(_ tensor: StateDictTensor) throws -> [Float] {
            _ = try file.checkedInfo(tensor)
            let values = try file.floats(tensor.name)
            return precision == .bf16 ? values.map(BFloat16.rounded) : values
        }
        func projection(_ linear: LinearModule) throws -> Projection {
            Projection(name: linear.module, weight: try matrix(linear.weight))
        }
        func attention(_ a: T5TensorLayout.Attention) throws -> AttentionWeights {
            AttentionWeights(q: try projection(a.q), k: try projection(a.k), v: try projection(a.v), o: try projection(a.o),
                             relativeBias: try a.relativeBias.map(vector))
        }
        func feedForward(_ f: T5TensorLayout.FeedForward) throws -> FeedForwardWeights {
            FeedForwardWeights(wi: try projection(f.wi), wiGate: try f.wiGate.map(projection), wo: try projection(f.wo))
        }
        let layout = T5TensorLayout(config: config)
        let encoder = try layout.encoder.map { layer in
            EncoderLayerWeights(attentionNorm: try vector(layer.attentionNorm), attention: try attention(layer.attention),
                                feedForwardNorm: try vector(layer.feedForwardNorm), feedForward: try feedForward(layer.feedForward))
        }
        let decoder = try layout.decoder.map { layer in
            DecoderLayerWeights(selfAttentionNorm: try vector(layer.selfAttentionNorm), selfAttention: try attention(layer.selfAttention),
                                crossAttentionNorm: try vector(layer.crossAttentionNorm), crossAttention: try attention(layer.crossAttention),
                                feedForwardNorm: try vector(layer.feedForwardNorm), feedForward: try feedForward(layer.feedForward))
        }
        let embedding = try matrix(layout.embedding)
        return T5Weights(embedding: embedding, encoder: encoder, encoderFinalNorm: try vector(layout.encoderFinalNorm),
                         decoder: decoder, decoderFinalNorm: try vector(layout.decoderFinalNorm),
                         lmHead: try layout.lmHead.map(matrix) ?? embedding)
    }
}
