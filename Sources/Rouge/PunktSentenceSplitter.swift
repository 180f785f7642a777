/// English sentences as `nltk.sent_tokenize(text)` finds them (nltk 3.10.4's `PunktTokenizer("english")`),
/// for ROUGE-Lsum the way Hugging Face's summarization scripts compute it. Kiss and Strunk's Punkt: every
/// ".", "?" or "!" followed by punctuation or by a space and a token is a candidate; the words around it decide
/// (known abbreviations, initials, ordinals, collocations, how the next word is capitalised elsewhere). A port of
/// punkt.py's decisions, step for step; tested against nltk on Tests/Fixtures/Rouge/punkt_*.
public struct PunktSentenceSplitter: Sendable {
    let model: PunktModel

    public static let english = PunktSentenceSplitter(model: .english)

    /// The sentences of `text`, as nltk returns them (surrounding whitespace not included).
    public func sentences(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return spans(scalars).map { r in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[r])
            return String(s)
        }
    }

    /// `span_tokenize`: each sentence's range of code points.
    func spans(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        realigned(text, candidateSlices(text))
    }

    // MARK: candidate breaks

    /// A sentence-ending character with what follows it: punctuation, or whitespace and a token.
    struct PeriodMatch {
        var position: Int
        /// End of the following punctuation character, or of the token after the whitespace.
        var afterEnd: Int
        /// Start of that token (nil when punctuation follows directly).
        var nextTokenStart: Int?
    }

    /// `period_context_re().finditer(text)`: `[.?!](?=(NonWord|\s+\S+))`.
    func periodMatches(_ t: [Unicode.Scalar]) -> [PeriodMatch] {
        var out: [PeriodMatch] = []
        for i in t.indices where t[i] == "." || t[i] == "?" || t[i] == "!" {
            if i + 1 < t.count, PunktWordTokenizer.isNonWord(t[i + 1]) {
                out.append(PeriodMatch(position: i, afterEnd: i + 2, nextTokenStart: nil))
                continue
            }
            var j = i + 1
            while j < t.count, PythonCharacter.isSpace(t[j]) { j += 1 }
            guard j > i + 1, j < t.count else { continue }
            var k = j
            while k < t.count, !PythonCharacter.isSpace(t[k]) { k += 1 }
            out.append(PeriodMatch(position: i, afterEnd: k, nextTokenStart: j))
        }
        return out
    }

    /// A Python slice: bounds may cross, which reads as empty.
    struct Slice: Equatable {
        var start: Int
        var stop: Int
        var range: Range<Int> { start..<max(start, stop) }
    }

    /// `_match_potential_end_contexts`: each candidate with the word before it and what follows; of
    /// candidates whose preceding words overlap (as in "acting!!!") only the last is kept.
    func endContexts(_ t: [Unicode.Scalar]) -> [(PeriodMatch, [Unicode.Scalar])] {
        var out: [(PeriodMatch, [Unicode.Scalar])] = []
        var previousSlice = Slice(start: 0, stop: 0)
        var previousMatch: PeriodMatch?
        func context(_ m: PeriodMatch, _ word: Slice) -> [Unicode.Scalar] {
            Array(t[word.range]) + Array(t[m.position..<m.afterEnd])
        }
        for m in periodMatches(t) {
            // The word before: from after the last ASCII whitespace since the previous word (an index of 0
            // counts as none, as in punkt.py).
            var wordStart = previousSlice.start
            if let last = t[previousSlice.stop..<m.position].lastIndex(where: PythonCharacter.isASCIISpace),
               last - previousSlice.stop != 0 {
                wordStart = last + 1
            }
            let word = Slice(start: wordStart, stop: m.position)
            if let p = previousMatch, previousSlice.stop <= word.start {
                out.append((p, context(p, previousSlice)))
            }
            previousMatch = m
            previousSlice = word
        }
        if let p = previousMatch { out.append((p, context(p, previousSlice))) }
        return out
    }

    /// `_slices_from_text`: a slice ends at each candidate whose context holds a sentence break; the next starts
    /// at the following token (or right after the mark when punctuation follows). The last ends before
    /// trailing whitespace.
    func candidateSlices(_ t: [Unicode.Scalar]) -> [Slice] {
        var out: [Slice] = []
        var lastBreak = 0
        for (m, context) in endContexts(t) where containsSentenceBreak(context) {
            out.append(Slice(start: lastBreak, stop: m.position + 1))
            lastBreak = m.nextTokenStart ?? m.position + 1
        }
        var end = t.count
        while end > 0, PythonCharacter.isStrippedSpace(t[end - 1]) { end -= 1 }
        out.append(Slice(start: lastBreak, stop: end))
        return out
    }

    /// `_realign_boundaries`: closing quotes and brackets right after a break move to the sentence they close,
    /// so "(Sent1.) Sent2." gives "(Sent1.)" and "Sent2.". Empty sentences are dropped.
    func realigned(_ t: [Unicode.Scalar], _ slices: [Slice]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var realign = 0
        for (n, raw) in slices.enumerated() {
            let sentence = Slice(start: raw.start + realign, stop: raw.stop)
            guard n + 1 < slices.count else {
                if !sentence.range.isEmpty { out.append(sentence.range) }
                continue
            }
            let next = slices[n + 1]
            if let (closers, end) = closingPunctuation(t[next.range]) {
                out.append(sentence.start..<(next.start + closers))
                realign = end
            } else {
                realign = 0
                if !sentence.range.isEmpty { out.append(sentence.range) }
            }
        }
        return out
    }

    /// `re_boundary_realignment.match(s)`: `["')\]}‘’“”«»]+?(?:\s+|(?=--)|$)` (multiline). The number of closing
    /// characters and the end of the match, relative to the start of `s`.
    func closingPunctuation(_ s: ArraySlice<Unicode.Scalar>) -> (closers: Int, end: Int)? {
        func isCloser(_ c: Unicode.Scalar) -> Bool {
            switch c {
            case "\"", "'", ")", "]", "}", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{AB}", "\u{BB}": return true
            default: return false
            }
        }
        var k = s.startIndex
        while k < s.endIndex, isCloser(s[k]) {
            k += 1
            if k == s.endIndex { return (k - s.startIndex, k - s.startIndex) }
            if PythonCharacter.isSpace(s[k]) {
                var e = k
                while e < s.endIndex, PythonCharacter.isSpace(s[e]) { e += 1 }
                return (k - s.startIndex, e - s.startIndex)
            }
            if s[k] == "-", k + 1 < s.endIndex, s[k + 1] == "-" { return (k - s.startIndex, k - s.startIndex) }
        }
        return nil
    }

    // MARK: deciding a candidate

    /// `text_contains_sentbreak`: whether a token of the context, other than its last, ends a sentence after
    /// both annotation passes.
    func containsSentenceBreak(_ context: [Unicode.Scalar]) -> Bool {
        var tokens = words(context)
        for i in tokens.indices { firstPass(&tokens[i]) }
        for i in tokens.indices.dropLast() { secondPass(&tokens[i], next: tokens[i + 1]) }
        return tokens.dropLast().contains { $0.sentenceBreak }
    }

    /// `_tokenize_words`: the tokens of each non-blank line.
    func words(_ text: [Unicode.Scalar]) -> [PunktToken] {
        var out: [PunktToken] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false)
        where line.contains(where: { !PythonCharacter.isStrippedSpace($0) }) {
            for r in PunktWordTokenizer.tokens(line) { out.append(PunktToken(line[r])) }
        }
        return out
    }

    /// `_first_pass_annotation`: by the token alone.
    func firstPass(_ token: inout PunktToken) {
        let tok = token.text
        if tok.count == 1, tok[0] == "." || tok[0] == "?" || tok[0] == "!" {
            token.sentenceBreak = true
        } else if token.isEllipsis {
            token.ellipsis = true
        } else if token.periodFinal, !(tok.count >= 2 && tok[tok.count - 2] == ".") {
            let stem = PythonCharacter.lowercased(tok.dropLast())
            let lastPart = stem.split(separator: "-", omittingEmptySubsequences: false).last ?? []
            if model.abbreviationTypes.contains(PunktToken.string(stem))
                || model.abbreviationTypes.contains(PunktToken.string(lastPart)) {
                token.abbreviation = true
            } else {
                token.sentenceBreak = true
            }
        }
    }

    /// `_second_pass_annotation`: a period-final token reconsidered with the token after it (section 4 of Kiss
    /// and Strunk: collocations, abbreviations and ellipses before a sentence starter, initials and ordinals).
    func secondPass(_ token: inout PunktToken, next: PunktToken) {
        guard token.periodFinal else { return }
        let type = token.typeWithoutPeriod
        let nextType = next.typeWithoutSentencePeriod
        let isInitial = token.isInitial
        if model.collocations.contains(type + "\t" + nextType) {
            token.sentenceBreak = false
            token.abbreviation = true
            return
        }
        if token.abbreviation || token.ellipsis, !isInitial {
            if startsSentence(next) == .yes {
                token.sentenceBreak = true
                return
            }
            if next.firstUpper, model.sentenceStarters.contains(nextType) {
                token.sentenceBreak = true
                return
            }
        }
        if isInitial || type == "##number##" {
            let verdict = startsSentence(next)
            if verdict == .no {
                token.sentenceBreak = false
                token.abbreviation = true
                return
            }
            if verdict == .unknown, isInitial, next.firstUpper,
               (model.orthographicContexts[nextType] ?? 0) & Orthography.lower == 0 {
                token.sentenceBreak = false
                token.abbreviation = true
            }
        }
    }

    enum Verdict { case yes, no, unknown }

    /// `_ortho_heuristic`: whether the token begins a sentence, from how its type was capitalised in training.
    func startsSentence(_ token: PunktToken) -> Verdict {
        if token.text.count == 1, ";:,.!?".unicodeScalars.contains(token.text[0]) { return .no }
        let context = model.orthographicContexts[token.typeWithoutSentencePeriod] ?? 0
        if token.firstUpper, context & Orthography.lower != 0, context & Orthography.middleUpper == 0 { return .yes }
        if token.firstLower, context & Orthography.upper != 0 || context & Orthography.beginLower == 0 { return .no }
        return .unknown
    }
}
