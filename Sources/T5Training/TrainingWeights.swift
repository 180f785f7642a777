// The model's tensors as Parameters bound by their Hugging Face names, with LoRA adapters attached
// to the linears that the LoRA targets match.
import Failures
import SafeTensors
import T5

public struct AttentionParameters: Sendable {
    public let q, k, v, o: LinearLayer
    /// relative_attention_bias.weight [buckets, heads]: layer 0 of each stack only.
    public let relativeBias: Parameter?
}

public struct FeedForwardParameters: Sendable {
    /// wi (ReLU) or wi_0 (gated: the gelu branch).
    public let wi: LinearLayer
    /// wi_1 (gated only: the linear branch).
    public let wiGate: LinearLayer?
    public let wo: LinearLayer
}

public struct EncoderLayerParameters: Sendable {
    public let attentionNorm: Parameter
    public let attention: AttentionParameters
    public let feedForwardNorm: Parameter
    public let feedForward: FeedForwardParameters
}

public struct DecoderLayerParameters: Sendable {
    public let selfAttentionNorm: Parameter
    public let selfAttention: AttentionParameters
    public let crossAttentionNorm: Parameter
    public let crossAttention: AttentionParameters
    public let feedForwardNorm: Parameter
    public let feedForward: FeedForwardParameters
}

public final class TrainingWeights: @unchecked Sendable {
    public let config: T5Config
    /// shared.weight [vocab, d_model]: the token embeddings of both stacks.
    public let embedding: Parameter
    public let encoder: [EncoderLayerParameters]
    public let encoderFinalNorm: Parameter
    public let decoder: [DecoderLayerParameters]
    public let decoderFinalNorm: Parameter
    /// lm_head.weight, or the same object as `embedding` when tied.
    public let lmHead: Parameter
    /// Every linear in a fixed order (encoder then decoder, q k v o then feed-forward).
    public let linears: [LinearLayer]
    /// Keeps the mapped file alive while frozen Parameters point into it.
    private let file: SafeTensorsFile

    /// Binds `file`'s tensors. `trainAll` copies every tensor and gives it a gradient (full fine-tuning);
    /// otherwise fp32 tensors stay zero-copy views of the mapping and get no gradient.
    public init(config: T5Config, file: SafeTensorsFile, trainAll: Bool) throws {
        self.config = config
        self.file = file
        func tensor(_ name: String, _ shape: [Int]) throws -> Parameter {
            guard let info = file.tensors[name] else { throw PipelineError.badInput("missing tensor '\(name)'", path: file.file) }
            guard info.shape == shape, info.dtype.isFloatingPoint else {
                throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue)\(info.shape), expected a float tensor \(shape)", path: file.file)
            }
            if !trainAll, info.dtype == .f32, let view = try file.float32View(name) {
                return Parameter(name: name, shape: shape, value: UnsafeMutablePointer(mutating: view.baseAddress!),
                                 valueOwner: nil, trainable: false)
            }
            return Parameter(name: name, shape: shape, values: try file.floats(name), trainable: trainAll)
        }
        var linears: [LinearLayer] = []
        func linear(_ path: String, out: Int, in inFeatures: Int) throws -> LinearLayer {
            let layer = LinearLayer(path: path, weight: try tensor(path + ".weight", [out, inFeatures]),
                                    site: 10_000_000 + UInt64(linears.count))
            linears.append(layer)
            return layer
        }
        let d = config.dModel, inner = config.innerDim
        func attention(_ prefix: String, hasBias: Bool) throws -> AttentionParameters {
            AttentionParameters(q: try linear(prefix + ".q", out: inner, in: d), k: try linear(prefix + ".k", out: inner, in: d),
                                v: try linear(prefix + ".v", out: inner, in: d), o: try linear(prefix + ".o", out: d, in: inner),
                                relativeBias: hasBias ? try tensor(prefix + ".relative_attention_bias.weight",
                                                                   [config.relativeAttentionNumBuckets, config.numHeads]) : nil)
        }
        func feedForward(_ prefix: String) throws -> FeedForwardParameters {
            switch config.feedForward {
            case .gatedGelu:
                return FeedForwardParameters(wi: try linear(prefix + ".wi_0", out: config.dFF, in: d),
                                             wiGate: try linear(prefix + ".wi_1", out: config.dFF, in: d),
                                             wo: try linear(prefix + ".wo", out: d, in: config.dFF))
            case .relu:
                return FeedForwardParameters(wi: try linear(prefix + ".wi", out: config.dFF, in: d), wiGate: nil,
                                             wo: try linear(prefix + ".wo", out: d, in: config.dFF))
            }
        }
        embedding = try tensor("shared.weight", [config.vocabSize, d])
        encoder = try (0..<config.numLayers).map { i in
            let p = "encoder.block.\(i).layer"
            return EncoderLayerParameters(attentionNorm: try tensor("\(p).0.layer_norm.weight", [d]),
                                          attention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                          feedForwardNorm: try tensor("\(p).1.layer_norm.weight", [d]),
                                          feedForward: try feedForward("\(p).1.DenseReluDense"))
        }
        encoderFinalNorm = try tensor("encoder.final_layer_norm.weight", [d])
        decoder = try (0..<config.numDecoderLayers).map { i in
            let p = "decoder.block.\(i).layer"
            return DecoderLayerParameters(selfAttentionNorm: try tensor("\(p).0.layer_norm.weight", [d]),
                                          selfAttention: try attention("\(p).0.SelfAttention", hasBias: i == 0),
                                          crossAttentionNorm: try tensor("\(p).1.layer_norm.weight", [d]),
                                          crossAttention: try attention("\(p).1.EncDecAttention", hasBias: false),
                                          feedForwardNorm: try tensor("\(p).2.layer_norm.weight", [d]),
                                          feedForward: try feedForward("\(p).2.DenseReluDense"))
        }
        decoderFinalNorm = try tensor("decoder.final_layer_norm.weight", [d])
        lmHead = config.tieWordEmbeddings ? embedding : try tensor("lm_head.weight", [config.vocabSize, d])
        self.linears = linears
    }

    /// Every distinct parameter (the tied embedding once), in state-dict order of appearance.
    public var allParameters: [Parameter] {
        var list: [Parameter] = [embedding]
        func add(_ a: AttentionParameters) {
            list += [a.q.weight, a.k.weight, a.v.weight, a.o.weight]
            if let bias = a.relativeBias { list.append(bias) }
        }
        func add(_ f: FeedForwardParameters) { list += [f.wi.weight] + (f.wiGate.map { [$0.weight] } ?? []) + [f.wo.weight] }
        for layer in encoder {
            list.append(layer.attentionNorm); add(layer.attention)
            list.append(layer.feedForwardNorm); add(layer.feedForward)
        }
        list.append(encoderFinalNorm)
        for layer in decoder {
            list.append(layer.selfAttentionNorm); add(layer.selfAttention)
            list.append(layer.crossAttentionNorm); add(layer.crossAttention)
            list.append(layer.feedForwardNorm); add(layer.feedForward)
        }
        list.append(decoderFinalNorm)
        if lmHead !== embedding { list.append(lmHead) }
        return list
    }

    /// Attaches zero-initialised LoRA adapters to every linear `settings` matches; returns them in layer order.
    func attachLoRA(_ settings: LoRASettings) -> [LinearLayer] {
        var adapted: [LinearLayer] = []
        for layer in linears where settings.matches(layer.path) {
            let rank = settings.rank(of: layer.path)
            let a = Parameter(name: "base_model.model.\(layer.path).lora_A.weight", shape: [rank, layer.inFeatures],
                              values: [Float](repeating: 0, count: rank * layer.inFeatures), trainable: true)
            let b = Parameter(name: "base_model.model.\(layer.path).lora_B.weight", shape: [layer.outFeatures, rank],
                              values: [Float](repeating: 0, count: rank * layer.outFeatures), trainable: true)
            layer.lora = TrainableLoRA(a: a, b: b, rank: rank, scale: settings.scale(of: layer.path), dropout: settings.dropout)
            adapted.append(layer)
        }
        return adapted
    }
}
