/// Punkt's word tokenizer (nltk's `PunktLanguageVars.word_tokenize`): splits punctuation other than periods off
/// words, so "Mr." stays one token and "end.)" gives "end." and ")". The regular expression, alternative by
/// alternative, in the order Python's `re.findall` tries them at each position:
///
///     -{2,} | \.{2,} | (\.\s){2,}\.          multi-character punctuation
///     (?=WordStart) \S+? (?= \s | $ | NonWord | MultiChar | ,(?=$|\s|NonWord|MultiChar))
///     \S                                     any other single character
enum PunktWordTokenizer {
    /// The tokens of one line (no "\n" inside), as scalar ranges of `line`.
    static func tokens(_ line: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if PythonCharacter.isSpace(c) {
                i += 1
                continue
            }
            let end: Int
            if let multi = multiCharacterPunctuation(line, at: i) {
                end = multi
            } else if startsWord(c) {
                end = wordEnd(line, from: i)
            } else {
                end = i + 1
            }
            out.append(i..<end)
            i = end
        }
        return out
    }

    /// `[)";}\]*:@'({\[‘’“”«»?!]`: characters that cannot be inside a word (a period can).
    static func isNonWord(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ")", "\"", ";", "}", "]", "*", ":", "@", "'", "(", "{", "[",
             "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{AB}", "\u{BB}", "?", "!":
            return true
        default:
            return false
        }
    }

    /// `[^("`{\[:;&#*@)}\]\-,]`: characters a word may start with.
    private static func startsWord(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "(", "\"", "`", "{", "[", ":", ";", "&", "#", "*", "@", ")", "}", "]", "-", ",": return false
        default: return true
        }
    }

    /// The end of `-{2,}`, `\.{2,}` or `(\.\s){2,}\.` starting at `i`, if one does.
    static func multiCharacterPunctuation(_ s: ArraySlice<Unicode.Scalar>, at i: Int) -> Int? {
        for mark: Unicode.Scalar in ["-", "."] {
            var j = i
            while j < s.endIndex, s[j] == mark { j += 1 }
            if j - i >= 2 { return j }
        }
        // ". . ." : as many "period, space" pairs as there are, backing off until a period follows.
        var pairs = 0
        while i + 2 * pairs + 1 < s.endIndex, s[i + 2 * pairs] == ".", PythonCharacter.isSpace(s[i + 2 * pairs + 1]) {
            pairs += 1
        }
        while pairs >= 2 {
            if i + 2 * pairs < s.endIndex, s[i + 2 * pairs] == "." { return i + 2 * pairs + 1 }
            pairs -= 1
        }
        return nil
    }

    /// `\S+?` followed by the word-end lookahead: the shortest run of non-space characters from `i` after
    /// which a word may end (a space, the end, a non-word character, multi-character punctuation, or a comma
    /// that ends the word).
    private static func wordEnd(_ s: ArraySlice<Unicode.Scalar>, from i: Int) -> Int {
        var j = i + 1
        while j < s.endIndex {
            let c = s[j]
            if PythonCharacter.isSpace(c) || isNonWord(c) || multiCharacterPunctuation(s, at: j) != nil { return j }
            if c == ",", j + 1 == s.endIndex || PythonCharacter.isSpace(s[j + 1]) || isNonWord(s[j + 1])
                || multiCharacterPunctuation(s, at: j + 1) != nil {
                return j
            }
            j += 1
        }
        return j
    }
}
