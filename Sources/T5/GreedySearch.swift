// Greedy decoding, batched; a finished row stops changing (transformers pads it with pad_token_id)
// and leaves the cache, so later steps only compute the rows still generating.
import Kernels

enum GreedySearch {
    static func run(model: T5Model, encoder: EncoderOutput, settings: GenerationSettings) throws -> [[Int32]] {
        let config = model.config, vocab = config.vocabSize, batch = encoder.batch
        let cache = model.makeDecoderCache(encoder: encoder, sourceOf: Array(0..<batch), capacity: settings.maxNewTokens)
        let logits = FloatBuffer(count: batch * vocab, zeroed: false)
        var sequences = [[Int32]](repeating: [config.decoderStartTokenId], count: batch)
        // rows still generating, in cache-slot order; finished rows are dropped from the cache
        var active = Array(0..<batch)
        for step in 0..<settings.maxNewTokens {
            model.decode(cache: cache, tokens: active.map { sequences[$0].last! }, positions: 1, logits: logits.pointer)
            try LogitsProcessing.requireFinite(logits.pointer, rows: active.count, vocab: vocab, step: step)
            var keep: [Int] = []
            for (slot, row) in active.enumerated() {
                let scores = logits.pointer + slot * vocab
                LogitsProcessing.apply(scores, sequence: sequences[row], generated: step, settings: settings, eos: config.eosTokenId)
                let token = Int32(Selection.argmax(scores, count: vocab))
                sequences[row].append(token)
                if token != config.eosTokenId { keep.append(slot) }
            }
            if keep.isEmpty { break }
            if keep.count < active.count {
                cache.reorder(from: keep)
                active = keep.map { active[$0] }
            }
        }
        return sequences.map { Array($0.dropFirst()) }
    }
}
