import Failures

/// PEFT's `PromptTuningConfig` and `PromptEncoderConfig` (P-tuning): `num_virtual_tokens` learned rows in front of
/// every source's embeddings. On a seq2seq model PEFT keeps `num_transformer_submodules` (2) × n rows and feeds the
/// encoder the first n; the other n are never read (they get no gradient, only weight decay). Prompt tuning learns
/// the rows themselves; P-tuning learns them through an MLP (`encoder_hidden_size`) during training and saves its
/// output. PEFT's `PrefixTuningConfig` is one too: n learned key and value rows per decoder layer
/// (`prefixTableWidth`, `prefixSlots`). pipeline.yaml's `prompt_tuning.*` / `p_tuning.*` / `prefix_tuning.*` and an
/// adapter_config.json become one of these.
public struct PromptConfig: Sendable, Equatable {
    public enum Initialization: String, Sendable {
        /// torch.nn.Embedding's N(0, 1).
        case random = "RANDOM"
        /// The embeddings of a text's tokens (with the tokenizer's EOS), repeated and cut to the table's rows.
        case text = "TEXT"
    }

    /// `num_virtual_tokens`: the rows in front of each source.
    public var virtualTokens: Int
    /// The model facts PEFT records: `token_dim` (d_model), `num_transformer_submodules` (2 for seq2seq),
    /// `num_attention_heads`, `num_layers`. Filled from the base model when the stage writes a config.
    public var tokenDim: Int
    public var transformerSubmodules: Int
    public var attentionHeads: Int
    public var layers: Int
    /// Prompt tuning: `prompt_tuning_init` and `prompt_tuning_init_text`.
    public var initialization: Initialization
    public var initText: String?
    /// P-tuning: `encoder_hidden_size` (nil for prompt tuning; 0 until `fitted` for the model's d_model, PEFT's
    /// default). PEFT's MLP: Linear(d, h), ReLU, Linear(h, h), ReLU, Linear(h, d), with biases.
    public var encoderHiddenSize: Int?

    /// Prefix tuning: `prefix_projection` (an MLP over the prefix in training; only false is built).
    public var prefixProjection = false

    public init(virtualTokens: Int = 20, tokenDim: Int = 768, transformerSubmodules: Int = 2, attentionHeads: Int = 12,
                layers: Int = 12, initialization: Initialization = .random, initText: String? = nil, encoderHiddenSize: Int? = nil) {
        self.virtualTokens = virtualTokens
        self.tokenDim = tokenDim
        self.transformerSubmodules = transformerSubmodules
        self.attentionHeads = attentionHeads
        self.layers = layers
        self.initialization = initialization
        self.initText = initText
        self.encoderHiddenSize = encoderHiddenSize
    }

    /// PEFT's `total_virtual_tokens`: the rows of the table (and of the saved `prompt_embeddings`).
    public var totalVirtualTokens: Int { virtualTokens * transformerSubmodules }

    /// The largest prompt accepted (PEFT sets no bound; the encoder's attention grows with its square).
    public static let maxVirtualTokens = 1024

    public func validate(naming name: (String) -> String = { $0 }) throws {
        func fail(_ m: String) -> PipelineError { .usage(m) }
        guard (1...Self.maxVirtualTokens).contains(virtualTokens) else {
            throw fail("\(name("num_virtual_tokens")) = \(virtualTokens) must be in 1...\(Self.maxVirtualTokens)")
        }
        guard transformerSubmodules == 2 else {
            throw fail("\(name("num_transformer_submodules")) = \(transformerSubmodules): a seq2seq model has 2")
        }
        guard tokenDim > 0, attentionHeads > 0, layers > 0 else { throw fail("token_dim, num_attention_heads and num_layers must be positive") }
        if initialization == .text, (initText ?? "").isEmpty {
            throw fail("\(name("prompt_tuning_init")) TEXT needs a non-empty \(name("prompt_tuning_init_text"))")
        }
        if let h = encoderHiddenSize, !(0...65_536).contains(h) {
            throw fail("\(name("encoder_hidden_size")) = \(h) must be in 0...65536 (0: the model's d_model)")
        }
    }

    /// This config with the base model's facts, as PEFT's `_prepare_prompt_learning_config` fills them.
    public func fitted(dModel: Int, heads: Int, layers: Int) -> PromptConfig {
        var c = self
        (c.tokenDim, c.attentionHeads, c.layers) = (dModel, heads, layers)
        if c.encoderHiddenSize == 0 { c.encoderHiddenSize = dModel }
        return c
    }

    /// Prefix tuning's table width: every row holds `layers` × 2 slots of d_model (PEFT's
    /// `Embedding(num_virtual_tokens, num_layers * 2 * token_dim)`), viewed [layers·2, heads, d/heads].
    public var prefixTableWidth: Int { layers * 2 * tokenDim }

    /// The slots of a table row that decoder layer `layer` reads as its self-attention keys and values. PEFT's
    /// `get_prompt` views the row as `layers·2` slots, concatenates that list with itself (two submodules) and
    /// hands every layer the next four (self keys, self values, cross keys, cross values), so layer i reads slots
    /// 4i and 4i + 1 of the doubled list: (4i mod 2L, 4i + 1 mod 2L). The cross-attention pair is dropped on T5
    /// (transformers rebuilds the cross-attention cache), and the encoder never sees the prefix.
    public func prefixSlots(layer i: Int) -> (keys: Int, values: Int) {
        ((4 * i) % (2 * layers), (4 * i + 1) % (2 * layers))
    }

    /// PEFT's TEXT initialisation: the text's token ids (EOS included), repeated and cut to `totalVirtualTokens`.
    public func initTokenIds(_ textIds: [Int32]) -> [Int32] {
        precondition(!textIds.isEmpty)
        let rows = totalVirtualTokens
        let repeats = (rows + textIds.count - 1) / textIds.count
        return Array(Array(repeating: textIds, count: repeats).joined().prefix(rows))
    }
}
