// The logits processors generation uses, as transformers applies them and in its order:
// repetition_penalty scales the score of every token already in the hypothesis (decoder start included);
// no_repeat_ngram_size bans every token that would repeat an n-gram of the hypothesis; min_new_tokens
// bans EOS until that many tokens exist. Greedy search applies them to the raw logits, beam search to the
// log-probabilities (as transformers does).

import Failures

enum LogitsProcessing {
    /// The model's raw scores for `rows` rows must be numbers: NaN or infinity means weights or an adapter
    /// that overflow (a lora_A of 3e38, lora_alpha 1e308), which would otherwise decode as empty summaries
    /// and exit 0 (issue 33, item 3).
    static func requireFinite(_ logits: UnsafePointer<Float>, rows: Int, vocab: Int, step: Int) throws {
        for i in 0..<(rows * vocab) where !logits[i].isFinite {
            throw PipelineError.badInput("the model's scores are not finite (\(logits[i])) at decoding step \(step + 1): "
                                         + "the weights or the adapter hold values that overflow", path: "model")
        }
    }

    /// Tokens that would complete an n-gram already present in `sequence`.
    static func bannedByNgram(_ sequence: [Int32], n: Int) -> [Int32] {
        let count = sequence.count
        // no complete n-gram yet: nothing to ban (transformers also skips when count + 1 < n)
        guard n > 0, count >= n else { return [] }
        if n == 1 { return sequence }
        let prefixStart = count - (n - 1)
        var banned: [Int32] = []
        for start in 0...(count - n) {
            var same = true
            for j in 0..<(n - 1) where sequence[start + j] != sequence[prefixStart + j] {
                same = false
                break
            }
            if same { banned.append(sequence[start + n - 1]) }
        }
        return banned
    }

    /// transformers' RepetitionPenaltyLogitsProcessor on one row: each distinct token of `sequence` once,
    /// a negative score times `penalty`, any other divided by it (in Float, as torch computes a float32 tensor
    /// with a Python float).
    static func penalizeRepetition(_ scores: UnsafeMutablePointer<Float>, sequence: [Int32], penalty: Float) {
        for token in Set(sequence) {
            let score = scores[Int(token)]
            scores[Int(token)] = score < 0 ? score * penalty : score / penalty
        }
    }

    /// Applies the processors to one row of scores for a hypothesis with `generated` new tokens.
    static func apply(_ scores: UnsafeMutablePointer<Float>, sequence: [Int32], generated: Int,
                      settings: GenerationSettings, eos: Int32) {
        if settings.repetitionPenalty != 1 { penalizeRepetition(scores, sequence: sequence, penalty: settings.repetitionPenalty) }
        if settings.noRepeatNgramSize > 0 {
            for token in bannedByNgram(sequence, n: settings.noRepeatNgramSize) { scores[Int(token)] = -.infinity }
        }
        if generated < settings.minNewTokens { scores[Int(eos)] = -.infinity }
    }

    /// In-place log_softmax of one row (x − max − log Σ exp(x − max), as torch computes it).
    static func logSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where row[i] > maximum { maximum = row[i] }
        var sum: Float = 0
        for i in 0..<count { sum += expf(row[i] - maximum) }
        let shift = maximum + logf(sum)
        for i in 0..<count { row[i] -= shift }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
