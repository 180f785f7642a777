// The training engine's weights: T5TensorLayout's tensors bound as Parameters, with LoRA adapters attached
// to the linears that the LoRA targets match.
import LoRA
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

    /// Binds `file`'s tensors (T5TensorLayout's names and shapes). `trainAll` copies every tensor and gives it a
    /// gradient (full fine-tuning); otherwise fp32 tensors stay zero-copy views of the mapping and get no gradient.
    public init(config: T5Config, file: SafeTensorsFile, trainAll: Bool) throws {
        self.config = config
        self.file = file
        func tensor(_ tensor: T5TensorLayout.Tensor) throws -> Parameter {
            let name = tensor.name, shape = tensor.shape
            let info = try file.checkedInfo(tensor)
            if !trainAll, info.dtype == .f32, let view = try file.float32View(name) {
                return Parameter(name: name, shape: shape, value: UnsafeMutablePointer(mutating: view.baseAddress!),
                                 valueOwner: nil, trainable: false)
            }
            return Parameter(name: name, shape: shape, values: try file.floats(name), trainable: trainAll)
        }
        var linears: [LinearLayer] = []
        func linear(_ linear: T5TensorLayout.Linear) throws -> LinearLayer {
            // the site (a dropout-mask seed) is the layer's index in binding order, which the layout fixes
            let layer = LinearLayer(path: linear.module, weight: try tensor(linear.weight), site: 10_000_000 + UInt64(linears.count))
            linears.append(layer)
            return layer
        }
        func attention(_ a: T5TensorLayout.Attention) throws -> AttentionParameters {
            AttentionParameters(q: try linear(a.q), k: try linear(a.k), v: try linear(a.v), o: try linear(a.o),
                                relativeBias: try a.relativeBias.map(tensor))
        }
        func feedForward(_ f: T5TensorLayout.FeedForward) throws -> FeedForwardParameters {
            FeedForwardParameters(wi: try linear(f.wi), wiGate: try f.wiGate.map(linear), wo: try linear(f.wo))
        }
        let layout = T5TensorLayout(config: config)
        embedding = try tensor(layout.embedding)
        encoder = try layout.encoder.map { layer in
            EncoderLayerParameters(attentionNorm: try tensor(layer.attentionNorm), attention: try attention(layer.attention),
                                   feedForwardNorm: try tensor(layer.feedForwardNorm), feedForward: try feedForward(layer.feedForward))
        }
        encoderFinalNorm = try tensor(layout.encoderFinalNorm)
        decoder = try layout.decoder.map { layer in
            DecoderLayerParameters(selfAttentionNorm: try tensor(layer.selfAttentionNorm), selfAttention: try attention(layer.selfAttention),
                                   crossAttentionNorm: try tensor(layer.crossAttentionNorm), crossAttention: try attention(layer.crossAttention),
                                   feedForwardNorm: try tensor(layer.feedForwardNorm), feedForward: try feedForward(layer.feedForward))
        }
        decoderFinalNorm = try tensor(layout.decoderFinalNorm)
        lmHead = try layout.lmHead.map(tensor) ?? embedding
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
            let a = Parameter(name: AdapterTensorNames.a(module: layer.path), shape: [rank, layer.inFeatures],
                              values: [Float](repeating: 0, count: rank * layer.inFeatures), trainable: true)
            let b = Parameter(name: AdapterTensorNames.b(module: layer.path), shape: [layer.outFeatures, rank],
                              values: [Float](repeating: 0, count: rank * layer.outFeatures), trainable: true)
            layer.lora = TrainableLoRA(a: a, b: b, rank: rank, scale: settings.scale(of: layer.path), dropout: settings.dropout)
            adapted.append(layer)
        }
        return adapted
    }
}
