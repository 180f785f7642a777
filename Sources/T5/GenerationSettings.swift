// Decoding settings, named and defaulted as in transformers' GenerationConfig.
import Failures

public struct GenerationSettings: Sendable, Equatable {
    /// transformers' `early_stopping`: false (heuristic), true (stop when num_beams hypotheses are done), "never".
    public enum EarlyStopping: String, Sendable, Equatable {
        case heuristic = "false"
        case whenBeamsFull = "true"
        case never
    }

    public var numBeams: Int
    public var maxNewTokens: Int
    public var minNewTokens: Int
    public var lengthPenalty: Float
    public var earlyStopping: EarlyStopping
    public var noRepeatNgramSize: Int
    /// transformers' `repetition_penalty`: a token already in the hypothesis has its score divided by this when
    /// positive, multiplied when negative (1: off; above 1 discourages repeats, below 1 encourages them).
    public var repetitionPenalty: Float

    public init(numBeams: Int = 1, maxNewTokens: Int = 200, minNewTokens: Int = 0, lengthPenalty: Float = 1,
                earlyStopping: EarlyStopping = .heuristic, noRepeatNgramSize: Int = 0, repetitionPenalty: Float = 1) {
        self.numBeams = numBeams
        self.maxNewTokens = maxNewTokens
        self.minNewTokens = minNewTokens
        self.lengthPenalty = lengthPenalty
        self.earlyStopping = earlyStopping
        self.noRepeatNgramSize = noRepeatNgramSize
        self.repetitionPenalty = repetitionPenalty
    }

    func validate() throws {
        func fail(_ problem: String) -> PipelineError { .usage(problem, path: "generation settings") }
        guard (1...64).contains(numBeams) else { throw fail("num_beams must be in 1...64, got \(numBeams)") }
        guard (1...4096).contains(maxNewTokens) else { throw fail("max_new_tokens must be in 1...4096, got \(maxNewTokens)") }
        guard minNewTokens >= 0 else { throw fail("min_new_tokens must be ≥ 0, got \(minNewTokens)") }
        guard noRepeatNgramSize >= 0 else { throw fail("no_repeat_ngram_size must be ≥ 0, got \(noRepeatNgramSize)") }
        guard lengthPenalty.isFinite else { throw fail("length_penalty must be finite") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw fail("repetition_penalty must be a finite number > 0, got \(repetitionPenalty)")
        }
    }
}
