// Greedy decoding, batched; a finished row stops changing (transformers pads it with pad_token_id).
import Kernels

enum GreedySearch {
    static func run(model: T5Model, encoder: EncoderOutput, settings: GenerationSettings) -> [[Int32]] {
        let config = model.config, vocab = config.vocabSize, batch = encoder.batch
        let cache = model.makeDecoderCache(encoder: encoder, sourceOf: Array(0..<batch), capacity: settings.maxNewTokens)
        let logits = FloatBuffer(count: batch * vocab, zeroed: false)
        var sequences = [[Int32]](repeating: [config.decoderStartTokenId], count: batch)
        var finished = [Bool](repeating: false, count: batch)
        var last = [Int32](repeating: config.decoderStartTokenId, count: batch)
        for step in 0..<settings.maxNewTokens {
            model.decode(cache: cache, tokens: last, positions: 1, logits: logits.pointer)
            for row in 0..<batch where !finished[row] {
                let scores = logits.pointer + row * vocab
                LogitsProcessing.apply(scores, sequence: sequences[row], generated: step, settings: settings, eos: config.eosTokenId)
                let token = Int32(Selection.argmax(scores, count: vocab))
                sequences[row].append(token)
                last[row] = token
                if token == config.eosTokenId { finished[row] = true }
            }
            if !finished.contains(false) { break }
        }
        return sequences.map { Array($0.dropFirst()) }
    }
}
