// PEFT's prompt methods in training: n learned rows in front of every source's embeddings (prompt tuning: the rows
// themselves; P-tuning: an MLP's output), with their backward. PEFT keeps 2n rows on a seq2seq model and feeds the
// encoder rows 0..<n; rows n..<2n are parameters that no loss reaches (zero gradient, weight decay only), kept so
// that the files and the optimiser's state are PEFT's. One subclass per method, one file each.
import Kernels
import PEFT

public class EncoderPrompt: @unchecked Sendable {
    /// n: the rows in front of each source.
    public let virtualTokens: Int
    /// The trainable tensors, under PEFT's parameter names (`prompt_encoder.embedding.weight`, …).
    public let parameters: [Parameter]

    init(virtualTokens: Int, parameters: [Parameter]) {
        self.virtualTokens = virtualTokens
        self.parameters = parameters
    }

    /// The n rows [n, d] for this step, in `arena` (kept for `backward`).
    func forward(arena: Arena) -> UnsafeMutablePointer<Float> { fatalError("\(Self.self) must override forward") }

    /// Accumulates the parameters' gradients from ∂loss/∂rows [n, d] (summed over the batch's sequences).
    func backward(_ dRows: UnsafePointer<Float>, scratch: Arena) { fatalError("\(Self.self) must override backward") }

    /// What PEFT saves as `prompt_embeddings`: all 2n rows [2n, d].
    public func savedEmbeddings() -> [Float] { fatalError("\(Self.self) must override savedEmbeddings") }
}

/// Prompt tuning: the table [2n, d] is the prompt.
public final class TrainablePromptTuning: EncoderPrompt, @unchecked Sendable {
    public let table: Parameter

    init(virtualTokens: Int, table: Parameter) {
        self.table = table
        super.init(virtualTokens: virtualTokens, parameters: [table])
    }

    override func forward(arena: Arena) -> UnsafeMutablePointer<Float> {
        let rows = arena.floats(virtualTokens * table.shape[1])
        rows.update(from: table.value, count: virtualTokens * table.shape[1])
        return rows
    }

    override func backward(_ dRows: UnsafePointer<Float>, scratch: Arena) {
        guard let g = table.gradient else { return }
        Elementwise.add(dRows, into: g, count: virtualTokens * table.shape[1])
    }

    override public func savedEmbeddings() -> [Float] { table.values }
}

extension T5TrainingModel {
    /// The prompt of `method` with zero tensors under PEFT's parameter names (`initializeAdapters` draws them).
    static func makePrompt(_ method: AdapterMethod, _ c: PromptConfig) -> EncoderPrompt {
        func zero(_ name: String, _ shape: [Int]) -> Parameter {
            Parameter(name: "prompt_encoder." + name, shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)),
                      trainable: true)
        }
        let table = zero("embedding.weight", [c.totalVirtualTokens, c.tokenDim])
        guard case .pTuning = method, let h = c.encoderHiddenSize else {
            return TrainablePromptTuning(virtualTokens: c.virtualTokens, table: table)
        }
        let shapes = [[h, c.tokenDim], [h, h], [c.tokenDim, h]]
        return TrainablePTuning(virtualTokens: c.virtualTokens, embedding: table,
                                weights: [0, 2, 4].enumerated().map { zero("mlp_head.\($0.element).weight", shapes[$0.offset]) },
                                biases: [0, 2, 4].enumerated().map { zero("mlp_head.\($0.element).bias", [shapes[$0.offset][0]]) })
    }
}
