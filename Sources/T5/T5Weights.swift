// The model's tensors bound by their Hugging Face names, shape-checked against the config.
import Failures
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
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            guard let info = file.tensors[name] else { throw PipelineError.badInput("missing tensor '\(name)'", path: file.file) }
            guard info.shape == [rows, cols] else {
                throw PipelineError.badInput("tensor '\(name)' has shape \(info.shape), expected [\(rows), \(cols)]", path: file.file)
            }
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
            case (.f16, _), (.bf16, .f32):
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name)).converted(to: precision)
            default:
                throw PipelineError.badInput("tensor '\(name)' has dtype \(info.dtype.rawValue), expected a float type", path: file.file)
            }
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            guard let info = file.tensors[name] else { throw PipelineError.badInput("missing tensor '\(name)'", path: file.file) }
            guard info.shape == [count], info.dtype.isFloatingPoint else {
                throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue)\(info.shape), expected a float vector [\(count)]", path: file.file)
            }
            return try file.floats(name)
        }
        func projection(_ name: String, rows: Int, cols: Int) throws -> Projection {
            Projection(name: name, weight: try matrix(name + ".weight", rows: rows, cols: cols))
        }
        let d = config.dModel, inner = config.innerDim
        func attention(_ prefix: String, hasBias: Bool) throws -> AttentionWeights {
            let bias: [Float]?
            if hasBias {
                // small: kept in fp32 whatever the weight precision
                let name = prefix + ".relative_attention_bias.weight"
                guard let info = file.tensors[name] else { throw PipelineError.badInput("missing tensor '\(name)'", path: file.file) }
                guard info.shape == [config.relativeAttentionNumBuckets, config.numHeads], info.dtype.isFloatingPoint else {
                    throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue)\(info.shape), expected [\(config.relativeAttentionNumBuckets), \(config.numHeads)]", path: file.file)
                }
                bias = try file.floats(name)
            } else {
                bias = nil
            }
            return AttentionWeights(q: try projection(prefix + ".q", rows: inner, cols: d),
                                    k: try projection(prefix + ".k", rows: inner, cols: d),
                                    v: try projection(prefix + ".v", rows: inner, cols: d),
                                    o: try projection(prefix + ".o", rows: d, cols: inner),
                                    relativeBias: bias)
        }
        func feedForward(_ prefix: String) throws -> FeedForwardWeights {
            switch config.feedForward {
            case .gatedGelu:
                return FeedForwardWeights(wi: try projection(prefix + ".wi_0", rows: config.dFF, cols: d),
                                          wiGate: try projection(prefix + ".wi_1", rows: config.dFF, cols: d),
                                          wo: try projection(prefix + ".wo", rows: d, cols: config.dFF))
            case .relu:
                return FeedForwardWeights(wi: try projection(prefix + ".wi", rows: config.dFF, cols: d), wiGate: nil,
                                          wo: try projection(prefix + ".wo", rows: d, cols: config.dFF))
            }
        }
        let encoder = try (0..<config.numLayers).map { i -> EncoderLayerWeights in
            let p = "encoder.block.\(i).layer"
            return EncoderLayerWeights(attentionNorm: try vector("\(p).0.layer_norm.weight", count: d),
                                       attention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                       feedForwardNorm: try vector("\(p).1.layer_norm.weight", count: d),
                                       feedForward: try feedForward("\(p).1.DenseReluDense"))
        }
        let decoder = try (0..<config.numDecoderLayers).map { i -> DecoderLayerWeights in
            let p = "decoder.block.\(i).layer"
            return DecoderLayerWeights(selfAttentionNorm: try vector("\(p).0.layer_norm.weight", count: d),
                                       selfAttention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                       crossAttentionNorm: try vector("\(p).1.layer_norm.weight", count: d),
                                       crossAttention: try attention("\(p).1.EncDecAttention", hasBias: false),
                                       feedForwardNorm: try vector("\(p).2.layer_norm.weight", count: d),
                                       feedForward: try feedForward("\(p).2.DenseReluDense"))
        }
        let embedding = try matrix("shared.weight", rows: config.vocabSize, cols: d)
        let lmHead = config.tieWordEmbeddings ? embedding : try matrix("lm_head.weight", rows: config.vocabSize, cols: d)
        return T5Weights(embedding: embedding, encoder: encoder,
                         encoderFinalNorm: try vector("encoder.final_layer_norm.weight", count: d),
                         decoder: decoder, decoderFinalNorm: try vector("decoder.final_layer_norm.weight", count: d),
                         lmHead: lmHead)
    }
}
