// Floating-point operations of one training step (forward + backward), counting the GEMMs and attention
// products (2 per multiply-add); element-wise work is left out, as in the usual FLOP accounting.
import T5

public enum TrainingFlops {
    public struct Breakdown: Sendable, Equatable {
        public var forward: Double
        /// Input-gradient GEMMs and attention backward.
        public var backwardInput: Double
        /// Weight-gradient GEMMs of trainable base weights (full mode) and all LoRA backward work.
        public var backwardParameters: Double
        /// Of the above, the per-head attention products (q·kᵀ, probs·v and their backward), forward + backward.
        public var attention: Double = 0
        public var total: Double { forward + backwardInput + backwardParameters }
    }

    /// A padded batch: `batchSize` sequences of `sourceLength` and `targetLength` tokens.
    public static func perStep(config c: T5Config, batchSize b: Int, sourceLength s: Int, targetLength t: Int,
                               mode: TrainingMode) -> Breakdown {
        perStep(config: c, sourceLengths: Array(repeating: s, count: b), targetLengths: Array(repeating: t, count: b), mode: mode)
    }

    /// An unpadded batch: per-token work on Σ lengths rows, attention per sequence at its own lengths.
    public static func perStep(config c: T5Config, sourceLengths: [Int], targetLengths: [Int], mode: TrainingMode) -> Breakdown {
        let d = Double(c.dModel), inner = Double(c.innerDim), ff = Double(c.dFF), dk = Double(c.dKV)
        let heads = Double(c.numHeads), vocab = Double(c.vocabSize)
        let enc = Double(sourceLengths.reduce(0, +)), dec = Double(targetLengths.reduce(0, +))
        let pairs = zip(sourceLengths, targetLengths).map { (Double($0.0), Double($0.1)) }
        let ffMatrices: Double = c.feedForward == .gatedGelu ? 3 : 2
        let full: Bool = mode == .full
        var settings: LoRASettings?
        if case .lora(let l) = mode { settings = l }
        var result = Breakdown(forward: 0, backwardInput: 0, backwardParameters: 0)
        /// One linear applied to `rows` rows; `inputGradient` false where backward stops below it.
        func linear(_ path: String, rows: Double, inF: Double, outF: Double, inputGradient: Bool = true) {
            let gemm = 2 * rows * inF * outF
            result.forward += gemm
            if inputGradient { result.backwardInput += gemm }
            if full { result.backwardParameters += gemm }
            if let settings, settings.matches(path) {
                let r = Double(settings.rank)
                let lora = 2 * rows * r * (inF + outF)
                result.forward += lora
                result.backwardParameters += 2 * lora
            }
        }
        /// Σ over sequences of queries · keys (from a sequence's source and target lengths).
        func attention(_ scores: (Double, Double) -> Double) {
            let products = 2 * heads * pairs.reduce(0) { $0 + scores($1.0, $1.1) } * dk * 2
            result.forward += products
            result.backwardInput += 2 * products
            result.attention += 3 * products
        }
        func feedForward(_ prefix: String, rows: Double) {
            let names = c.feedForward == .gatedGelu ? ["wi_0", "wi_1"] : ["wi"]
            for n in names { linear("\(prefix).\(n)", rows: rows, inF: d, outF: ff) }
            linear("\(prefix).wo", rows: rows, inF: ff, outF: d)
            _ = ffMatrices
        }
        for l in 0..<c.numLayers {
            let p = "encoder.block.\(l).layer"
            for n in ["q", "k", "v"] {
                linear("\(p).0.SelfAttention.\(n)", rows: enc, inF: d, outF: inner, inputGradient: full || l > 0)
            }
            linear("\(p).0.SelfAttention.o", rows: enc, inF: inner, outF: d)
            attention { s, _ in s * s }
            feedForward("\(p).1.DenseReluDense", rows: enc)
        }
        for l in 0..<c.numDecoderLayers {
            let p = "decoder.block.\(l).layer"
            for n in ["q", "k", "v"] {
                linear("\(p).0.SelfAttention.\(n)", rows: dec, inF: d, outF: inner, inputGradient: full || l > 0)
            }
            linear("\(p).0.SelfAttention.o", rows: dec, inF: inner, outF: d)
            attention { _, t in t * t }
            linear("\(p).1.EncDecAttention.q", rows: dec, inF: d, outF: inner)
            linear("\(p).1.EncDecAttention.k", rows: enc, inF: d, outF: inner)
            linear("\(p).1.EncDecAttention.v", rows: enc, inF: d, outF: inner)
            linear("\(p).1.EncDecAttention.o", rows: dec, inF: inner, outF: d)
            attention { s, t in t * s }
            feedForward("\(p).2.DenseReluDense", rows: dec)
        }
        linear("lm_head", rows: dec, inF: d, outF: vocab)
        return result
    }
}
