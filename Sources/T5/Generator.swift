// Sequence generation over a batch of sources: greedy or beam search, as transformers' `generate`.
import Foundation
import Kernels

public struct Generator: Sendable {
    public let model: T5Model

    public init(model: T5Model) {
        self.model = model
    }

    /// Generated ids per source (decoder start token excluded; EOS included when produced).
    public func generate(_ sources: [[Int32]], settings: GenerationSettings) throws -> [[Int32]] {
        try settings.validate()
        let encoder = try model.encode(sources)
        if settings.numBeams == 1 {
            return try GreedySearch.run(model: model, encoder: encoder, settings: settings)
        }
        return try BeamSearch.run(model: model, encoder: encoder, settings: settings)
    }

    /// The batch as transformers returns it: decoder start token first, rows padded to a common
    /// length with pad_token_id for greedy, or EOS for beam search (transformers' fill value there
    /// is `pad_token_id or eos_token_id`, and T5's pad id 0 is falsy).
    public func huggingFaceLayout(_ outputs: [[Int32]], settings: GenerationSettings) -> [[Int32]] {
        let width = 1 + (outputs.map(\.count).max() ?? 0)
        let fill = settings.numBeams == 1 ? model.config.padTokenId : model.config.eosTokenId
        return outputs.map { [model.config.decoderStartTokenId] + $0 + [Int32](repeating: fill, count: width - 1 - $0.count) }
    }
}
