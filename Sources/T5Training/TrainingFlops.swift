// Floating-point operations of one training step (forward + backward), counting the GEMMs and attention
// products (2 per multiply-add); element-wise work is left out, as in the usual FLOP accounting.
import PEFT
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
        let d = Double(c.dModel), dk = Double(c.dKV)
        let heads = Double(c.numHeads), vocab = Double(c.vocabSize)
        let enc = Double(sourceLengths.reduce(0, +)), dec = Double(targetLengths.reduce(0, +))
        let pairs = zip(sourceLengths, targetLengths).map { (Double($0.0), Double($0.1)) }
        let full: Bool = mode == .full
        var settings: LoRAConfig?
        if case .adapter(.lora(let l)) = mode { settings = l }
        var result = Breakdown(forward: 0, backwardInput: 0, backwardParameters: 0)
        /// One GEMM of `rows` rows; `inputGradient` false where backward stops below it. `lora` names the module
        /// whose adapter (if the settings target it) adds its two low-rank GEMMs.
        func gemm(rows: Double, inF: Double, outF: Double, inputGradient: Bool = true, lora module: String? = nil) {
            let gemm = 2 * rows * inF * outF
            result.forward += gemm
            if inputGradient { result.backwardInput += gemm }
            if full { result.backwardParameters += gemm }
            if let settings, let module, settings.matches(module) {
                let lora = 2 * rows * Double(settings.rank(of: module)) * (inF + outF)
                result.forward += lora
                result.backwardParameters += 2 * lora
            }
        }
        func linear(_ l: LinearModule, rows: Double, inputGradient: Bool = true) {
            gemm(rows: rows, inF: Double(l.inFeatures), outF: Double(l.outFeatures), inputGradient: inputGradient, lora: l.module)
        }
        /// Σ over sequences of queries · keys (from a sequence's source and target lengths).
        func attention(_ scores: (Double, Double) -> Double) {
            let products = 2 * heads * pairs.reduce(0) { $0 + scores($1.0, $1.1) } * dk * 2
            result.forward += products
            result.backwardInput += 2 * products
            result.attention += 3 * products
        }
        func feedForward(_ f: T5TensorLayout.FeedForward, rows: Double) {
            for l in f.linears { linear(l, rows: rows) }
        }
        let layout = T5TensorLayout(config: c)
        // backward stops at layer 0's q k v in LoRA mode: nothing below them is trainable
        for (i, layer) in layout.encoder.enumerated() {
            let a = layer.attention
            for l in [a.q, a.k, a.v] { linear(l, rows: enc, inputGradient: full || i > 0) }
            linear(a.o, rows: enc)
            attention { s, _ in s * s }
            feedForward(layer.feedForward, rows: enc)
        }
        for (i, layer) in layout.decoder.enumerated() {
            let a = layer.selfAttention, x = layer.crossAttention
            for l in [a.q, a.k, a.v] { linear(l, rows: dec, inputGradient: full || i > 0) }
            linear(a.o, rows: dec)
            attention { _, t in t * t }
            linear(x.q, rows: dec)
            linear(x.k, rows: enc)
            linear(x.v, rows: enc)
            linear(x.o, rows: dec)
            attention { s, t in t * s }
            feedForward(layer.feedForward, rows: dec)
        }
        // lm_head (or the tied embedding): no adapter
        gemm(rows: dec, inF: d, outF: vocab)
        return result
    }
}
