// A PEFT prefix-tuning adapter for inference: `prompt_embeddings` [n, layers·2·d_model], each row viewed as
// layers·2 slots of [heads, d/heads]; decoder layer i reads its self-attention keys and values from the slots
// PEFT hands it (PEFT.PromptConfig.prefixSlots). On T5 that is all the prefix reaches: PEFT's cross-attention
// pair is dropped and the encoder never sees it (Tests/Fixtures/T5Training/gated/prefix_tuning.json records how
// this was established). Unlike PEFT 0.21.2's `generate`, which ignores the prefix on T5, generation here uses it,
// as PEFT's own forward pass does.
import Failures
import Kernels
import PEFT

public struct PrefixAdapter: Sendable {
    public let config: PromptConfig
    /// `prompt_embeddings` [n, layers·2·d_model], row-major.
    public let table: [Float]

    public init(config: PromptConfig, table: [Float]) {
        self.config = config
        self.table = table
    }

    init(config: PromptConfig, files: AdapterFiles) throws {
        let (values, shape) = try files.tensor(named: AdapterTensorNames.promptEmbeddings, module: AdapterTensorNames.promptEmbeddings)
        guard shape == [config.virtualTokens, config.prefixTableWidth] else {
            throw PipelineError.badInput("prompt_embeddings is \(shape), expected [\(config.virtualTokens), \(config.prefixTableWidth)] "
                                         + "(num_virtual_tokens, num_layers × 2 × token_dim)", path: files.weightsPath)
        }
        self.init(config: config, table: values)
    }

    /// Decoder layer `layer`'s prefix keys and values, [n, d_model] each.
    public func keysAndValues(layer: Int) -> (keys: [Float], values: [Float]) {
        let (k, v) = config.prefixSlots(layer: layer), d = config.tokenDim, width = config.prefixTableWidth
        func slot(_ s: Int) -> [Float] {
            var rows: [Float] = []
            for r in 0..<config.virtualTokens {
                let start: Int = r * width + s * d
                rows += table[start..<(start + d)]
            }
            return rows
        }
        return (slot(k), slot(v))
    }
}

extension T5Model {
    /// Puts the prefix in front of every decoder layer's self-attention from now on.
    public func apply(_ adapter: PrefixAdapter) throws {
        let c = adapter.config
        guard c.tokenDim == config.innerDim, c.attentionHeads == config.numHeads, c.layers == config.numDecoderLayers else {
            throw PipelineError.badInput("the prefix is for \(c.layers) layers of \(c.attentionHeads) heads × \(c.tokenDim / max(c.attentionHeads, 1)) "
                                         + "but the model at \(directory) has \(config.numDecoderLayers) decoder layers of \(config.numHeads) × "
                                         + "\(config.dKV): the adapter was trained for another base", path: "adapter")
        }
        guard decoderPrefix.isEmpty else { throw PipelineError.badInput("the model already has a prefix", path: "adapter") }
        decoderPrefix = (0..<config.numDecoderLayers).map { layer in
            let (k, v) = adapter.keysAndValues(layer: layer)
            return (FloatBuffer(k), FloatBuffer(v))
        }
        decoderPrefixRows = c.virtualTokens
    }
}
