/// A word token with Punkt's annotations (nltk's `PunktToken`).
struct PunktToken {
    let text: [Unicode.Scalar]
    /// Lowercased, and "##number##" for a number ("3.5", "-2", "1,000.").
    let type: String
    let periodFinal: Bool
    var sentenceBreak = false
    var abbreviation = false
    var ellipsis = false

    init(_ text: ArraySlice<Unicode.Scalar>) {
        self.text = Array(text)
        let lower = PythonCharacter.lowercased(text)
        type = Self.isNumber(lower) ? "##number##" : Self.string(lower[...])
        periodFinal = text.last == "."
    }

    /// The type without a final period (a lone "." stays).
    var typeWithoutPeriod: String {
        let scalars = type.unicodeScalars
        guard scalars.count > 1, scalars.last == "." else { return type }
        return Self.string(scalars.dropLast())
    }

    /// The type without its final period if that period ends a sentence.
    var typeWithoutSentencePeriod: String { sentenceBreak ? typeWithoutPeriod : type }

    var firstUpper: Bool { text[0].properties.isUppercase }
    var firstLower: Bool { text[0].properties.isLowercase }

    /// `\.\.+$`: two or more periods and nothing else.
    var isEllipsis: Bool { text.count >= 2 && text.allSatisfy { $0 == "." } }

    /// `[^\W\d]\.$`: a letter and a period ("J.").
    var isInitial: Bool { text.count == 2 && text[1] == "." && PythonCharacter.isLetterLike(text[0]) }

    /// `^-?[\.,]?\d[\d,\.-]*\.?$` on the lowercased token.
    static func isNumber(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        if i < s.count, s[i] == "-" { i += 1 }
        if i < s.count, s[i] == "." || s[i] == "," { i += 1 }
        guard i < s.count, PythonCharacter.isDigit(s[i]) else { return false }
        return s[(i + 1)...].allSatisfy { PythonCharacter.isDigit($0) || $0 == "," || $0 == "." || $0 == "-" }
    }

    static func string(_ s: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s)
        return String(view)
    }
}
