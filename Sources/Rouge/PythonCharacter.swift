/// The character classes nltk's Punkt sees, on Unicode scalars (Python indexes strings by code point, so the
/// splitter works on `[Unicode.Scalar]`). nltk 3.10 compiles its patterns with the third-party `regex` module,
/// whose `\s`, `\w` and `\d` are Unicode's definitions (UTS #18), not the `re` module's; the str methods
/// (`strip`, `lower`, `isupper`) are Python's own. Tests/Fixtures/Rouge/regex_classes.json holds the regex
/// module's classes, checked against these.
enum PythonCharacter {
    /// regex's `\s`: Unicode's White_Space.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace
    }

    /// `str.isspace()` (what `strip` removes): White_Space plus U+001C...U+001F, which Python counts as space
    /// (bidirectional class B or S) and regex's `\s` does not.
    static func isStrippedSpace(_ c: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(c.value) || c.properties.isWhitespace
    }

    /// `string.whitespace`: the six ASCII ones only.
    static func isASCIISpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || (0x09...0x0D).contains(c.value)
    }

    /// regex's `\d`: a decimal digit of any script (general category Nd).
    static func isDigit(_ c: Unicode.Scalar) -> Bool {
        c.properties.generalCategory == .decimalNumber
    }

    /// regex's `\w`: Alphabetic, a mark, a decimal digit, a connector (such as "_") or a joiner (UTS #18).
    /// Not "²" or "½", which `re` would count.
    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        let p = c.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// `[^\W\d]`: a word character that is not a digit (Punkt's stand-in for a letter).
    static func isLetterLike(_ c: Unicode.Scalar) -> Bool {
        isWordCharacter(c) && !isDigit(c)
    }

    /// `str.lower()`: the full lowercase mapping of each scalar (İ becomes i and a combining dot), with a capital
    /// sigma that ends a word lowered to the final form ς, as Python does.
    static func lowercased(_ s: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for i in s.indices {
            if s[i] == "\u{03A3}" {
                out.append(isFinalSigma(s, at: i) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out.append(contentsOf: s[i].properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable ones) and none after.
    private static func isFinalSigma(_ s: ArraySlice<Unicode.Scalar>, at i: Int) -> Bool {
        func casedNeighbour(_ indices: some Sequence<Int>) -> Bool {
            for j in indices {
                let p = s[j].properties
                if p.isCaseIgnorable { continue }
                return p.isCased
            }
            return false
        }
        return casedNeighbour((s.startIndex..<i).reversed()) && !casedNeighbour((i + 1)..<s.endIndex)
    }
}
