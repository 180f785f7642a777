// The training engine's weights: T5TensorLayout's tensors bound as Parameters, with LoRA adapters attached
// to the linears that the LoRA targets match. In the bf16 mode every base tensor is rounded to bf16 once
// (as `model.to(torch.bfloat16)`): the linears keep bf16 copies for their products, the other tensors
// (embeddings, norms, relative-position tables) fp32 copies of the rounded values.
import Failures
import Kernels
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
    /// lm_head's bf16 copy in the bf16 mode (the tied embedding's rounding when tied), else nil.
    public let lmHeadBF16: BF16Buffer?
    /// lm_head as its products read it: the bf16 copy in the bf16 mode, else the fp32 values.
    var lmHeadProduct: Linear.Weight {
        lmHeadBF16.map { .bf16(UnsafePointer($0.pointer)) } ?? .f32(UnsafePointer(lmHead.value))
    }
    /// How the frozen base weights are stored and multiplied.
    public let precision: WeightMatrix.Precision
    /// Every linear in a fixed order (encoder then decoder, q k v o then feed-forward).
    public let linears: [LinearLayer]
    /// Keeps the mapped file alive while frozen Parameters point into it.
    private let file: SafeTensorsFile

    /// Binds `file`'s tensors (T5TensorLayout's names and shapes). `trainAll` copies every tensor and gives it a
    /// gradient (full fine-tuning); otherwise fp32 tensors stay zero-copy views of the mapping and get no gradient.
    /// `precision` bf16 rounds the frozen base to bf16 (LoRA only: a full fine-tune trains fp32 weights).
    public init(config: T5Config, file: SafeTensorsFile, trainAll: Bool, precision: WeightMatrix.Precision = .f32) throws {
        guard precision == .f32 || !trainAll else {
            throw PipelineError.usage("bf16 base weights are for LoRA training only; a full fine-tune trains fp32 weights",
                                      path: file.file)
        }
        self.config = config
        self.file = file
        self.precision = precision
        let rounded = precision == .bf16
        func tensor(_ tensor: StateDictTensor, linear: Bool = false) throws -> Parameter {
            let name = tensor.name, shape = tensor.shape
            let info = try file.checkedInfo(tensor)
            // A linear's fp32 values serve only the merge in the bf16 mode: the view costs no memory.
            if !trainAll, !rounded || linear, info.dtype == .f32, let view = try file.float32View(name) {
                return Parameter(name: name, shape: shape, value: UnsafeMutablePointer(mutating: view.baseAddress!),
                                 valueOwner: nil, trainable: false)
            }
            var values = try file.floats(name)
            if rounded && !linear { values = values.map(BFloat16.rounded) }
            return Parameter(name: name, shape: shape, values: values, trainable: trainAll)
        }
        func bf16Copy(_ tensor: StateDictTensor) throws -> BF16Buffer {
            if try file.info(tensor.name).dtype == .bf16, let view = try file.bf16View(tensor.name) {
                return BF16Buffer(copying: view.baseAddress!, count: view.count)
            }
            let values = try file.floats(tensor.name)
            return values.withUnsafeBufferPointer { BF16Buffer(rounding: $0.baseAddress!, count: $0.count) }
        }
        var linears: [LinearLayer] = []
        func linear(_ linear: LinearModule) throws -> LinearLayer {
            // the site (a dropout-mask seed) is the layer's index in binding order, which the layout fixes
            let layer = LinearLayer(path: linear.module, weight: try tensor(linear.weight, linear: true),
                                    bf16: rounded ? try bf16Copy(linear.weight) : nil, site: 10_000_000 + UInt64(linears.count))
            linears.append(layer)
            return layer
        }
        func attention(_ a: T5TensorLayout.Attention) throws -> AttentionParameters {
            AttentionParameters(q: try linear(a.q), k: try linear(a.k), v: try linear(a.v), o: try linear(a.o),
                                relativeBias: try a.relativeBias.map { try tensor($0) })
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
        lmHead = try layout.lmHead.map { try tensor($0, linear: true) } ?? embedding
        lmHeadBF16 = rounded ? try bf16Copy(layout.lmHead ?? layout.embedding) : nil
        self.linears = linears
        // The fp32 pages read for the rounding are not needed again: let them go from this process's memory.
        if rounded { file.releaseResidentPages() }
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
    func attachLoRA(_ settings: LoRAConfig) -> [LinearLayer] {
        var adapted: [LinearLayer] = []
        for layer in linears where settings.matches(layer.path) {
            let rank = settings.rank(of: layer.path)
            let a = Parameter(name: AdapterTensorNames.a(module: layer.path), shape: [rank, layer.inFeatures],
                              values: [Float](repeating: 0, count: rank * layer.inFeatures), trainable: true)
            let b = Parameter(name: AdapterTensorNames.b(module: layer.path), shape: [layer.outFeatures, rank],
                              values: [Float](repeating: 0, count: rank * layer.outFeatures), trainable: true)
            layer.lora = TrainableLoRA(a: a, b: b, rank: rank, scale: settings.scale(of: layer.path), dropout: Float(settings.dropout))
            adapted.append(layer)
        }
        return adapted
    }
}
