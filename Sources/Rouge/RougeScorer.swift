/// Scores (target, prediction) pairs exactly as rouge_score 0.1.2's
/// `RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True).score(target, prediction)`,
/// optionally on texts split into sentences first (`LsumSplit`).
///
/// Not thread-safe: it memoizes stems and reuses DP buffers across calls.
import Failures
public final class RougeScorer {
    private var interner: TokenInterner
    private var lcs = LongestCommonSubsequence()
    private let sentenceSplitter: PunktSentenceSplitter?

    public init(usesStemmer: Bool = true, lsumSplit: LsumSplit = .newline) {
        interner = TokenInterner(usesStemmer: usesStemmer)
        sentenceSplitter = lsumSplit == .sentences ? .english : nil
    }

    /// The four scores of one example. Throws only when a text is so long that its LCS
    /// table would exceed the documented bounds of `LongestCommonSubsequence`.
    public func score(target: String, prediction: String) throws(PipelineError) -> ExampleScores {
        let t = TokenizedText(lsumText(target), interner: &interner)
        let p = TokenizedText(lsumText(prediction), interner: &interner)
        do {
            return ExampleScores(
                rouge1: NGramOverlap.score(target: t.tokens, prediction: p.tokens, n: 1),
                rouge2: NGramOverlap.score(target: t.tokens, prediction: p.tokens, n: 2),
                rougeL: try lcs.scoreL(target: t.tokens, prediction: p.tokens),
                rougeLsum: try lcs.scoreLsum(target: t.sentences, prediction: p.sentences,
                                             vocabularySize: interner.vocabularySize))
        } catch {
            throw PipelineError(.badInput, "texts too long to score: an LCS problem of \(error.cells) cells exceeds the limit")
        }
    }

    /// With `lsumSplit: .sentences`, the text as Hugging Face's run_summarization passes it: its sentences joined
    /// by "\n" (rouge_score then splits at newlines). Tokens, so ROUGE-1, -2 and -L, are unchanged.
    private func lsumText(_ text: String) -> String {
        guard let splitter = sentenceSplitter else { return text }
        return splitter.sentences(text).joined(separator: "\n")
    }
}
