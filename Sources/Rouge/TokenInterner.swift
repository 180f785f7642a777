/// Tokenizes texts into dense integer ids of (stemmed) tokens, so n-gram counting and LCS
/// compare integers. Stems are memoized per raw token: a corpus has few distinct words.
struct TokenInterner {
    private let stemmer = PorterStemmer()
    private let usesStemmer: Bool
    /// Raw lowercase token -> id of its stemmed form (-1: the stem is empty).
    private var rawToID = ByteStringTable()
    /// Stemmed token -> id.
    private var stemToID = ByteStringTable()

    /// Number of distinct (stemmed) tokens so far; ids are below it.
    var vocabularySize: Int { stemToID.count }

    init(usesStemmer: Bool) {
        self.usesStemmer = usesStemmer
    }

    /// The ids of the tokens of `text`, or nil for a token whose stem is empty
    /// (rouge_score drops those).
    mutating func tokenIDs(of text: some Collection<UInt8>) -> [Int32] {
        var out: [Int32] = []
        RougeTokenizer.forEachRawToken(in: text) { raw in
            if let id = rawToID.value(for: raw) {
                if id >= 0 { out.append(id) }
                return
            }
            let stem = usesStemmer && raw.count > 3 ? stemmer.stem(bytes: raw) : raw
            let id: Int32
            if stem.isEmpty {
                id = -1
            } else if let known = stemToID.value(for: stem) {
                id = known
            } else {
                id = Int32(truncatingIfNeeded: stemToID.count)
                stemToID.insert(stem, value: id)
            }
            rawToID.insert(raw, value: id)
            if id >= 0 { out.append(id) }
        }
        return out
    }
}

/// A text split the way rouge_score's rougeLsum splits it: on "\n", empty pieces dropped.
struct TokenizedText {
    /// Token ids of each non-empty newline-separated piece (a piece may have no tokens).
    var sentences: [[Int32]]
    /// All token ids: since "\n" separates tokens, this equals tokenizing the whole text.
    var tokens: [Int32]

    init(_ text: String, interner: inout TokenInterner) {
        var sentences: [[Int32]] = []
        var tokens: [Int32] = []
        let bytes = Array(text.utf8)
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
            if i > start {
                let ids = interner.tokenIDs(of: bytes[start..<i])
                tokens.append(contentsOf: ids)
                sentences.append(ids)
            }
            start = i + 1
        }
        self.sentences = sentences
        self.tokens = tokens
    }
}
