// A PEFT prompt-tuning or P-tuning adapter for inference: its saved `prompt_embeddings` [2n, d_model] (for P-tuning,
// the prompt encoder's output), of which the first n rows go in front of every source's embeddings, the encoder's
// attention mask extended over them, as PeftModelForSeq2SeqLM does.
import Failures
import Kernels
import PEFT

public struct PromptAdapter: Sendable {
    public let method: AdapterMethod
    public let config: PromptConfig
    /// `prompt_embeddings`, all 2n rows, row-major.
    public let embeddings: [Float]

    public init(method: AdapterMethod, embeddings: [Float]) {
        self.method = method
        self.config = method.prompt!
        self.embeddings = embeddings
    }

    init(method: AdapterMethod, files: AdapterFiles) throws {
        let config = method.prompt!
        let (values, shape) = try files.tensor(named: AdapterTensorNames.promptEmbeddings, module: AdapterTensorNames.promptEmbeddings)
        guard shape == [config.totalVirtualTokens, config.tokenDim] else {
            throw PipelineError.badInput("prompt_embeddings is \(shape), expected [\(config.totalVirtualTokens), \(config.tokenDim)] "
                                         + "(num_virtual_tokens × num_transformer_submodules, token_dim)", path: files.weightsPath)
        }
        self.init(method: method, embeddings: values)
    }
}

extension T5Model {
    /// Puts the prompt's first n rows in front of every source from now on (one prompt per model).
    public func apply(_ adapter: PromptAdapter) throws {
        let c = adapter.config
        guard c.tokenDim == config.dModel else {
            throw PipelineError.badInput("the prompt's token_dim is \(c.tokenDim) but the model at \(directory) has d_model "
                                         + "\(config.dModel): the adapter was trained for another base", path: "adapter")
        }
        guard encoderPrompt == nil else { throw PipelineError.badInput("the model already has a prompt", path: "adapter") }
        encoderPrompt = FloatBuffer(Array(adapter.embeddings.prefix(c.virtualTokens * c.tokenDim)))
        encoderPromptRows = c.virtualTokens
    }
}
