// PEFT's prefix tuning in training (prefix_projection false): a table [n, layers·2·d_model] whose rows, viewed as
// layers·2 slots of d_model, give every decoder layer n keys and n values in front of its self-attention
// (PEFT.PromptConfig.prefixSlots says which slots: on T5 PEFT reuses them, and slots no layer reads get no
// gradient). Nothing else sees the prefix: not the encoder, not the cross-attention.
import PEFT

public final class DecoderPrefix: @unchecked Sendable {
    public let config: PromptConfig
    /// `prompt_encoder.embedding.weight` [n, layers·2·d_model]: saved as `prompt_embeddings`.
    public let table: Parameter

    init(config: PromptConfig) {
        self.config = config
        let shape = [config.virtualTokens, config.prefixTableWidth]
        table = Parameter(name: "prompt_encoder.embedding.weight", shape: shape,
                          values: [Float](repeating: 0, count: shape.reduce(1, *)), trainable: true)
    }

    public var parameters: [Parameter] { [table] }
    public var virtualTokens: Int { config.virtualTokens }

    /// Decoder layer `layer`'s keys and values (and their gradients' place in the table).
    func rows(layer: Int) -> PrefixRows {
        let (k, v) = config.prefixSlots(layer: layer), d = config.tokenDim
        return PrefixRows(keys: table.value + k * d, values: table.value + v * d,
                          keyGradient: table.gradient.map { $0 + k * d }, valueGradient: table.gradient.map { $0 + v * d },
                          rows: config.virtualTokens, stride: config.prefixTableWidth)
    }
}
