// The subset of a Hugging Face T5 config.json this engine needs, validated on load.
import Failures
import Foundation
import JSON

public struct T5Config: Sendable, Equatable {
    public enum FeedForward: Sendable, Equatable {
        /// Original T5: wo(relu(wi(x))).
        case relu
        /// T5 v1.1 / FLAN-T5: wo(gelu_new(wi_0(x)) · wi_1(x)).
        case gatedGelu
    }

    public var dModel: Int
    public var dKV: Int
    public var dFF: Int
    public var numHeads: Int
    public var numLayers: Int
    public var numDecoderLayers: Int
    public var vocabSize: Int
    public var relativeAttentionNumBuckets: Int
    public var relativeAttentionMaxDistance: Int
    public var layerNormEpsilon: Float
    public var feedForward: FeedForward
    /// Tied: lm_head is `shared` and the decoder output is scaled by d_model^-0.5 first.
    public var tieWordEmbeddings: Bool
    public var padTokenId: Int32
    public var eosTokenId: Int32
    public var decoderStartTokenId: Int32

    public var innerDim: Int { numHeads * dKV }

    public init(dModel: Int, dKV: Int, dFF: Int, numHeads: Int, numLayers: Int, numDecoderLayers: Int, vocabSize: Int,
                relativeAttentionNumBuckets: Int = 32, relativeAttentionMaxDistance: Int = 128, layerNormEpsilon: Float = 1e-6,
                feedForward: FeedForward = .gatedGelu, tieWordEmbeddings: Bool = false,
                padTokenId: Int32 = 0, eosTokenId: Int32 = 1, decoderStartTokenId: Int32 = 0) {
        self.dModel = dModel; self.dKV = dKV; self.dFF = dFF; self.numHeads = numHeads
        self.numLayers = numLayers; self.numDecoderLayers = numDecoderLayers; self.vocabSize = vocabSize
        self.relativeAttentionNumBuckets = relativeAttentionNumBuckets
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.layerNormEpsilon = layerNormEpsilon; self.feedForward = feedForward
        self.tieWordEmbeddings = tieWordEmbeddings; self.padTokenId = padTokenId
        self.eosTokenId = eosTokenId; self.decoderStartTokenId = decoderStartTokenId
    }

    /// Reads `config.json`; another architecture or a missing/implausible field is an error.
    public static func load(path: String) throws -> T5Config {
        try parse(BoundedFile.read(URL(fileURLWithPath: path), maxBytes: 1 << 20), file: path)
    }

    public static func parse(_ data: Data, file: String) throws -> T5Config {
        guard case .object(let json) = try JSONValue.parse(data, path: file) else {
            throw PipelineError.badInput("not a JSON object", path: file)
        }
        let modelType = json["model_type"]?.stringValue ?? ""
        let architectures = json["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard modelType == "t5" || architectures.contains("T5ForConditionalGeneration") else {
            throw PipelineError.badInput("model_type '\(modelType)' is not a T5 encoder-decoder", path: file)
        }
        func integer(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int> = 1...1_000_000) throws -> Int {
            guard let value = json[key] else {
                if let fallback { return fallback }
                throw PipelineError.badInput("missing '\(key)'", path: file)
            }
            guard let number = value.doubleValue, number.rounded() == number, abs(number) < 9.0e15,
                  range.contains(Int(number)) else {
                throw PipelineError.badInput("'\(key)' must be an integer in \(range)", path: file)
            }
            return Int(number)
        }
        let projection = json["feed_forward_proj"]?.stringValue ?? "relu"
        let feedForward: FeedForward
        switch projection {
        case "relu": feedForward = .relu
        case "gated-gelu": feedForward = .gatedGelu
        default: throw PipelineError.badInput("feed_forward_proj '\(projection)' is not supported (relu or gated-gelu)", path: file)
        }
        let numLayers = try integer("num_layers", range: 1...256)
        let epsilon = json["layer_norm_epsilon"]?.doubleValue ?? 1e-6
        guard epsilon > 0, epsilon < 1 else { throw PipelineError.badInput("'layer_norm_epsilon' must be in (0, 1)", path: file) }
        let vocab = try integer("vocab_size", range: 2...10_000_000)
        func token(_ key: String, _ fallback: Int) throws -> Int32 {
            if json[key] == .null { return Int32(fallback) }
            return Int32(try integer(key, default: fallback, range: 0...(vocab - 1)))
        }
        let config = T5Config(
            dModel: try integer("d_model", range: 1...65_536),
            dKV: try integer("d_kv", range: 1...4096),
            dFF: try integer("d_ff", range: 1...262_144),
            numHeads: try integer("num_heads", range: 1...1024),
            numLayers: numLayers,
            numDecoderLayers: try integer("num_decoder_layers", default: numLayers, range: 1...256),
            vocabSize: vocab,
            relativeAttentionNumBuckets: try integer("relative_attention_num_buckets", default: 32, range: 2...4096),
            relativeAttentionMaxDistance: try integer("relative_attention_max_distance", default: 128, range: 2...1_000_000),
            layerNormEpsilon: Float(epsilon),
            feedForward: feedForward,
            tieWordEmbeddings: json["tie_word_embeddings"]?.boolValue ?? true,
            padTokenId: try token("pad_token_id", 0),
            eosTokenId: try token("eos_token_id", 1),
            decoderStartTokenId: try token("decoder_start_token_id", 0))
        return config
    }
}
