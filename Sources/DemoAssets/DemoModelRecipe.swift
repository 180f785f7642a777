import Kernels
import Foundation
import JSON
import SafeTensors
import T5

/// The demo's small model of the flan-t5 architecture (gated-gelu, untied lm_head, RMS
/// norm, relative position buckets) and its seeded random initialisation. Its starting
/// ability comes from a full fine-tune on a different task (see docs/DEMO.md); this file
/// only fixes the shapes and the initial weights, byte-reproducibly.
public struct DemoModelRecipe: Sendable {
    public var vocabSize = 512          // 384 SentencePiece pieces + 100 sentinels, padded like T5
    public var dModel = 128
    public var dKV = 32
    public var numHeads = 4
    public var dFF = 384
    public var numLayers = 2
    public var numDecoderLayers = 2
    public var buckets = 32
    public var maxDistance = 128
    public var seed: UInt64 = 1

    public init() {}

    /// config.json in Hugging Face's T5Config layout, keys sorted. Floats stay floats
    /// ("1.0", not "1"): transformers 5 validates the types of config fields.
    public func configJSON() -> String {
        let c: JSONValue = [
            "architectures": ["T5ForConditionalGeneration"], "model_type": "t5",
            "d_model": .int(dModel), "d_kv": .int(dKV), "d_ff": .int(dFF), "num_heads": .int(numHeads),
            "num_layers": .int(numLayers), "num_decoder_layers": .int(numDecoderLayers),
            "vocab_size": .int(vocabSize), "relative_attention_num_buckets": .int(buckets),
            "relative_attention_max_distance": .int(maxDistance), "dropout_rate": .double(0.1),
            "layer_norm_epsilon": .double(1e-6), "initializer_factor": .double(1.0),
            "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_new", "is_gated_act": true,
            "tie_word_embeddings": false, "is_encoder_decoder": true,
            "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0,
        ]
        return c.pretty
    }

    /// The same model as the T5 engine reads it (what configJSON says).
    public var config: T5Config {
        T5Config(dModel: dModel, dKV: dKV, dFF: dFF, numHeads: numHeads, numLayers: numLayers, numDecoderLayers: numDecoderLayers,
                 vocabSize: vocabSize, relativeAttentionNumBuckets: buckets, relativeAttentionMaxDistance: maxDistance,
                 feedForward: .gatedGelu, tieWordEmbeddings: false)
    }

    /// Every weight with its Hugging Face name and shape, in state-dict order (the order of the random draws).
    public func weightShapes() -> [(String, [Int])] {
        T5TensorLayout(config: config).tensors.map { ($0.name, $0.shape) }
    }

    /// Initial weights: norms 1; embeddings N(0, 1); lm_head N(0, 1/d); q, k N(0, 1/(fan_in·sqrt(d_kv)))
    /// so attention scores start near unit scale (T5 does not divide by sqrt(d_kv)); other
    /// linears N(0, 1/fan_in); relative biases N(0, 0.1²). Gaussians by Box-Muller from SplitMix64.
    public func initialWeights() throws -> SafeTensorsWriter {
        var rng = SplitMix64(seed: seed)
        var gauss = GaussianSource()
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "recipe": "flan-lora demo init v1, seed \(seed)"])
        for (name, shape) in weightShapes() {
            let n = shape.reduce(1, *)
            let std: Double
            if name.hasSuffix("layer_norm.weight") {
                try writer.add(name, shape: shape, floats: [Float](repeating: 1, count: n))
                continue
            } else if name == "shared.weight" {
                std = 1
            } else if name == "lm_head.weight" {
                std = 1 / Double(dModel).squareRoot()
            } else if name.hasSuffix("relative_attention_bias.weight") {
                std = 0.1
            } else {
                let fanIn = Double(shape[1])
                let qk = name.hasSuffix(".q.weight") || name.hasSuffix(".k.weight")
                std = (1 / (qk ? fanIn * Double(dKV).squareRoot() : fanIn)).squareRoot()
            }
            try writer.add(name, shape: shape, floats: (0..<n).map { _ in Float(std * gauss.next(&rng)) })
        }
        return writer
    }
}

/// Standard normal draws by the Box-Muller transform (both values of each pair used).
struct GaussianSource {
    private var spare: Double?

    mutating func next(_ rng: inout SplitMix64) -> Double {
        if let s = spare { spare = nil; return s }
        // 53-bit uniforms in (0, 1]; log(0) is impossible.
        let u1 = Double((rng.next() >> 11) + 1) / 9_007_199_254_740_992
        let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spare = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }
}
