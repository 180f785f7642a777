/// How ROUGE-Lsum splits a summary into sentences (`rouge.lsum_split`).
public enum LsumSplit: String, CaseIterable, Codable, Sendable {
    /// At "\n" only, as rouge_score and Hugging Face `evaluate`'s rouge do (the tutorial's figures): a one-line
    /// summary has ROUGE-Lsum equal to ROUGE-L.
    case newline
    /// `"\n".join(nltk.sent_tokenize(text))` first, as Hugging Face's run_summarization and the papers that report
    /// its figures do (`PunktSentenceSplitter`); ROUGE-1, -2 and -L do not change.
    case sentences

    /// What the scores are comparable with, for the metrics file.
    var compatibleWith: String {
        switch self {
        case .newline: return "rouge_score 0.1.2 (nltk 3.10.4 PorterStemmer)"
        case .sentences:
            return "rouge_score 0.1.2 (nltk 3.10.4 PorterStemmer) on \"\\n\".join(nltk.sent_tokenize(text)) "
                + "(nltk 3.10.4, punkt_tab english)"
        }
    }
}
