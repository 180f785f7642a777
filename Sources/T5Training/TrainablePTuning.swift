// PEFT's P-tuning (`PromptEncoder`, reparameterisation MLP): the prompt is MLP(embedding rows) with
// MLP = Linear(d, h) → ReLU → Linear(h, h) → ReLU → Linear(h, d), biases included, on every row. Training learns the
// embedding table [2n, d] and the MLP; PEFT saves only the MLP's output for the 2n rows as `prompt_embeddings`, which
// is what inference reads (T5.PromptAdapter).
import Kernels

public final class TrainablePTuning: EncoderPrompt, @unchecked Sendable {
    public let embedding: Parameter
    /// mlp_head.0, .2, .4: weights [out, in] and biases [out].
    public let weights: [Parameter], biases: [Parameter]
    private var saved: [UnsafeMutablePointer<Float>] = []

    init(virtualTokens: Int, embedding: Parameter, weights: [Parameter], biases: [Parameter]) {
        self.embedding = embedding
        self.weights = weights
        self.biases = biases
        super.init(virtualTokens: virtualTokens,
                   parameters: [embedding, weights[0], biases[0], weights[1], biases[1], weights[2], biases[2]])
    }

    /// The MLP on `rows` rows of `input`: every layer's output in `arena` (the last is the prompt).
    private func mlp(_ input: UnsafePointer<Float>, rows: Int, arena: Arena) -> [UnsafeMutablePointer<Float>] {
        var x = input, outputs: [UnsafeMutablePointer<Float>] = []
        for (i, (w, b)) in zip(weights, biases).enumerated() {
            let (outF, inF) = (w.shape[0], w.shape[1])
            let y = arena.floats(rows * outF)
            for r in 0..<rows { (y + r * outF).update(from: b.value, count: outF) }
            Linear.forward(x, weight: w.value, y, rows: rows, inFeatures: inF, outFeatures: outF, accumulate: true)
            if i < 2 { ReLU.forward(y, count: rows * outF) }
            outputs.append(y)
            x = UnsafePointer(y)
        }
        return outputs
    }

    override func forward(arena: Arena) -> UnsafeMutablePointer<Float> {
        saved = mlp(embedding.value, rows: virtualTokens, arena: arena)
        return saved[2]
    }

    override func backward(_ dRows: UnsafePointer<Float>, scratch: Arena) {
        let n = virtualTokens
        var dy = UnsafeMutablePointer(mutating: dRows)
        for i in stride(from: 2, through: 0, by: -1) {
            let w = weights[i], b = biases[i], (outF, inF) = (w.shape[0], w.shape[1])
            if i < 2 { ReLU.backward(dy, output: saved[i], dx: dy, count: n * outF) }
            let input = i == 0 ? UnsafePointer(embedding.value) : UnsafePointer(saved[i - 1])
            if let gb = b.gradient { for r in 0..<n { Elementwise.add(dy + r * outF, into: gb, count: outF) } }
            if let gw = w.gradient { Linear.backwardWeight(dy, input: input, gw, rows: n, inFeatures: inF, outFeatures: outF) }
            let dx = i == 0 ? embedding.gradient.map { _ in scratch.floats(n * inF) } : scratch.floats(n * inF)
            if let dx {
                Linear.backwardInput(dy, weight: w.value, dx, rows: n, inFeatures: inF, outFeatures: outF, accumulate: false)
                if i == 0 { Elementwise.add(dx, into: embedding.gradient!, count: n * inF) }
            }
            guard let next = dx, i > 0 else { break }
            dy = next
        }
    }

    override public func savedEmbeddings() -> [Float] {
        let arena = Arena(minimumChunk: 1 << 12)
        let total = embedding.shape[0], d = embedding.shape[1]
        let out = mlp(embedding.value, rows: total, arena: arena)[2]
        return Array(UnsafeBufferPointer(start: out, count: total * d))
    }
}
