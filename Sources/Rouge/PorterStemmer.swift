/// The Porter stemmer exactly as nltk 3.10.4's `PorterStemmer()` in its default
/// `NLTK_EXTENSIONS` mode, which is what rouge_score 0.1.2 applies with
/// `use_stemmer=True`. Works on lowercase ASCII bytes (rouge tokens are `[a-z0-9]+`);
/// other bytes are treated as consonants, as nltk treats any non-vowel character.
///
/// Each step mirrors nltk's rule lists: the first rule whose suffix matches decides,
/// and if its condition fails no later rule of that step is tried.
public struct PorterStemmer: Sendable {
    public init() {}

    /// nltk's table of irregular forms, checked before any rule.
    private static let irregularForms: [[UInt8]: [UInt8]] = {
        let table: [(String, [String])] = [
            ("sky", ["sky", "skies"]), ("die", ["dying"]), ("lie", ["lying"]), ("tie", ["tying"]),
            ("news", ["news"]), ("inning", ["innings", "inning"]), ("outing", ["outings", "outing"]),
            ("canning", ["cannings", "canning"]), ("howe", ["howe"]), ("proceed", ["proceed"]),
            ("exceed", ["exceed"]), ("succeed", ["succeed"]),
        ]
        var pool: [[UInt8]: [UInt8]] = [:]
        for (stem, forms) in table { for form in forms { pool[Array(form.utf8)] = Array(stem.utf8) } }
        return pool
    }()

    public func stem(_ word: String) -> String {
        String(decoding: stem(bytes: Array(word.utf8)), as: UTF8.self)
    }

    /// Stems a lowercase word given as bytes. (nltk also lowercases; rouge tokens already are.)
    public func stem(bytes word: [UInt8]) -> [UInt8] {
        if let irregular = Self.irregularForms[word] { return irregular }
        if word.count <= 2 { return word }
        var w = word
        w = step1a(w)
        w = step1b(w)
        w = step1c(w)
        w = step2(w)
        w = step3(w)
        w = step4(w)
        w = step5a(w)
        w = step5b(w)
        return w
    }

    // MARK: - Letter classes

    private static func isVowelLetter(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "a") || c == UInt8(ascii: "e") || c == UInt8(ascii: "i")
            || c == UInt8(ascii: "o") || c == UInt8(ascii: "u")
    }

    /// A 'y' is a consonant when it starts the word or follows a vowel. Walks back over a
    /// run of 'y's iteratively (as nltk does) so a hostile "yyyy..." cannot exhaust the stack.
    private static func isConsonant(_ w: ArraySlice<UInt8>, _ index: Int) -> Bool {
        var i = index
        var negate = false
        while i > w.startIndex && w[i] == UInt8(ascii: "y") {
            negate.toggle()
            i -= 1
        }
        return !isVowelLetter(w[i]) != negate
    }

    /// Calls `body` with the consonant flag of every letter, left to right, in one pass.
    private static func forEachConsonantFlag(_ w: ArraySlice<UInt8>, _ body: (Bool) -> Void) {
        var previousIsConsonant = false
        for i in w.indices {
            let c = w[i]
            let consonant: Bool
            if isVowelLetter(c) {
                consonant = false
            } else if c == UInt8(ascii: "y") {
                consonant = i == w.startIndex ? true : !previousIsConsonant
            } else {
                consonant = true
            }
            body(consonant)
            previousIsConsonant = consonant
        }
    }

    /// m in [C](VC){m}[V]: the number of vowel-to-consonant transitions.
    private static func measure(_ w: ArraySlice<UInt8>) -> Int {
        var m = 0
        var previousIsVowel = false
        forEachConsonantFlag(w) { consonant in
            if consonant && previousIsVowel { m += 1 }
            previousIsVowel = !consonant
        }
        return m
    }

    private static func containsVowel(_ w: ArraySlice<UInt8>) -> Bool {
        var found = false
        forEachConsonantFlag(w) { consonant in if !consonant { found = true } }
        return found
    }

    private static func endsDoubleConsonant(_ w: ArraySlice<UInt8>) -> Bool {
        guard w.count >= 2 else { return false }
        let e = w.endIndex
        return w[e - 1] == w[e - 2] && isConsonant(w, e - 1)
    }

    /// Condition *o, with nltk's extension that a two-letter vowel-consonant word also counts.
    private static func endsCVC(_ w: ArraySlice<UInt8>) -> Bool {
        let n = w.count
        let s = w.startIndex
        if n >= 3 {
            let e = w.endIndex
            let last = w[e - 1]
            if isConsonant(w, e - 3) && !isConsonant(w, e - 2) && isConsonant(w, e - 1)
                && last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y") {
                return true
            }
        }
        return n == 2 && !isConsonant(w, s) && isConsonant(w, s + 1)
    }

    // MARK: - Rules

    /// The conditions nltk attaches to its rules; `word` is the whole word, `stem` the word
    /// without the rule's suffix.
    private enum Condition {
        case always
        case measureAbove0
        case measureAbove1
        /// (m>1 and (*S or *T)) ION
        case measureAbove1EndingSOrT
        /// y -> i after a consonant that is not the stem's only letter.
        case consonantBeforeY
        /// 'logi': the measure of the word without "ogi".
        case logi
        /// 'll': the measure of the word without one 'l'.
        case doubleL

        func holds(word: [UInt8], stem: ArraySlice<UInt8>) -> Bool {
            switch self {
            case .always: return true
            case .measureAbove0: return PorterStemmer.measure(stem) > 0
            case .measureAbove1: return PorterStemmer.measure(stem) > 1
            case .measureAbove1EndingSOrT:
                guard PorterStemmer.measure(stem) > 1, let last = stem.last else { return false }
                return last == UInt8(ascii: "s") || last == UInt8(ascii: "t")
            case .consonantBeforeY:
                return stem.count > 1 && PorterStemmer.isConsonant(stem, stem.endIndex - 1)
            case .logi: return PorterStemmer.measure(word[0..<(word.count - 3)]) > 0
            case .doubleL: return PorterStemmer.measure(word[0..<(word.count - 1)]) > 1
            }
        }
    }

    private struct Rule {
        let suffix: [UInt8]
        let replacement: [UInt8]
        let condition: Condition
        init(_ suffix: String, _ replacement: String, _ condition: Condition) {
            self.suffix = Array(suffix.utf8)
            self.replacement = Array(replacement.utf8)
            self.condition = condition
        }
    }

    private static func endsWith(_ w: [UInt8], _ suffix: [UInt8]) -> Bool {
        guard w.count >= suffix.count else { return false }
        var j = w.count - suffix.count
        for c in suffix {
            if w[j] != c { return false }
            j += 1
        }
        return true
    }

    private static func endsWith(_ w: [UInt8], _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard w.count >= n else { return false }
        let p = suffix.utf8Start
        for k in 0..<n where w[w.count - n + k] != p[k] { return false }
        return true
    }

    /// `w` without its last `count` bytes.
    private static func dropping(_ w: [UInt8], _ count: Int) -> ArraySlice<UInt8> {
        w[0..<(w.count - count)]
    }

    private static func replacing(_ w: [UInt8], last count: Int, with tail: StaticString) -> [UInt8] {
        var out = Array(w[0..<(w.count - count)])
        out.append(contentsOf: UnsafeBufferPointer(start: tail.utf8Start, count: tail.utf8CodeUnitCount))
        return out
    }

    /// nltk's `_apply_rule_list`: the first matching suffix decides.
    private static func applyRules(_ w: [UInt8], _ rules: [Rule]) -> [UInt8] {
        for rule in rules where endsWith(w, rule.suffix) {
            let stem = dropping(w, rule.suffix.count)
            if rule.condition.holds(word: w, stem: stem) { return Array(stem) + rule.replacement }
            return w
        }
        return w
    }

    private static let step1aRules = [
        Rule("sses", "ss", .always), Rule("ies", "i", .always), Rule("ss", "ss", .always), Rule("s", "", .always),
    ]

    private func step1a(_ w: [UInt8]) -> [UInt8] {
        if w.count == 4 && Self.endsWith(w, "ies") { return Self.replacing(w, last: 3, with: "ie") }
        return Self.applyRules(w, Self.step1aRules)
    }

    private func step1b(_ w: [UInt8]) -> [UInt8] {
        if Self.endsWith(w, "ied") { return Self.replacing(w, last: 3, with: w.count == 4 ? "ie" : "i") }
        if Self.endsWith(w, "eed") {
            return Self.measure(Self.dropping(w, 3)) > 0 ? Self.replacing(w, last: 3, with: "ee") : w
        }
        var intermediate: [UInt8]? = nil
        if Self.endsWith(w, "ed"), Self.containsVowel(Self.dropping(w, 2)) {
            intermediate = Array(Self.dropping(w, 2))
        } else if Self.endsWith(w, "ing"), Self.containsVowel(Self.dropping(w, 3)) {
            intermediate = Array(Self.dropping(w, 3))
        }
        guard let s = intermediate else { return w }
        if Self.endsWith(s, "at") || Self.endsWith(s, "bl") || Self.endsWith(s, "iz") {
            return s + [UInt8(ascii: "e")]
        }
        if Self.endsDoubleConsonant(s[...]) {
            let last = s[s.count - 1]
            // (*d and not (*L or *S or *Z)) -> single letter; otherwise no later rule applies.
            if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") {
                return Array(s.dropLast())
            }
            return s
        }
        if Self.measure(s[...]) == 1 && Self.endsCVC(s[...]) { return s + [UInt8(ascii: "e")] }
        return s
    }

    private static let step1cRules = [Rule("y", "i", .consonantBeforeY)]

    private func step1c(_ w: [UInt8]) -> [UInt8] { Self.applyRules(w, Self.step1cRules) }

    private static let step2Rules = [
        Rule("ational", "ate", .measureAbove0), Rule("tional", "tion", .measureAbove0),
        Rule("enci", "ence", .measureAbove0), Rule("anci", "ance", .measureAbove0),
        Rule("izer", "ize", .measureAbove0), Rule("bli", "ble", .measureAbove0),
        Rule("alli", "al", .measureAbove0), Rule("entli", "ent", .measureAbove0),
        Rule("eli", "e", .measureAbove0), Rule("ousli", "ous", .measureAbove0),
        Rule("ization", "ize", .measureAbove0), Rule("ation", "ate", .measureAbove0),
        Rule("ator", "ate", .measureAbove0), Rule("alism", "al", .measureAbove0),
        Rule("iveness", "ive", .measureAbove0), Rule("fulness", "ful", .measureAbove0),
        Rule("ousness", "ous", .measureAbove0), Rule("aliti", "al", .measureAbove0),
        Rule("iviti", "ive", .measureAbove0), Rule("biliti", "ble", .measureAbove0),
        Rule("fulli", "ful", .measureAbove0), Rule("logi", "log", .logi),
    ]

    private func step2(_ w: [UInt8]) -> [UInt8] {
        // nltk applies ALLI -> AL first and, if it fires, runs step 2 again on the result.
        if Self.endsWith(w, "alli") && Self.measure(Self.dropping(w, 4)) > 0 {
            return step2(Self.replacing(w, last: 4, with: "al"))
        }
        return Self.applyRules(w, Self.step2Rules)
    }

    private static let step3Rules = [
        Rule("icate", "ic", .measureAbove0), Rule("ative", "", .measureAbove0),
        Rule("alize", "al", .measureAbove0), Rule("iciti", "ic", .measureAbove0),
        Rule("ical", "ic", .measureAbove0), Rule("ful", "", .measureAbove0), Rule("ness", "", .measureAbove0),
    ]

    private func step3(_ w: [UInt8]) -> [UInt8] { Self.applyRules(w, Self.step3Rules) }

    private static let step4Rules = [
        Rule("al", "", .measureAbove1), Rule("ance", "", .measureAbove1), Rule("ence", "", .measureAbove1),
        Rule("er", "", .measureAbove1), Rule("ic", "", .measureAbove1), Rule("able", "", .measureAbove1),
        Rule("ible", "", .measureAbove1), Rule("ant", "", .measureAbove1), Rule("ement", "", .measureAbove1),
        Rule("ment", "", .measureAbove1), Rule("ent", "", .measureAbove1),
        Rule("ion", "", .measureAbove1EndingSOrT), Rule("ou", "", .measureAbove1),
        Rule("ism", "", .measureAbove1), Rule("ate", "", .measureAbove1), Rule("iti", "", .measureAbove1),
        Rule("ous", "", .measureAbove1), Rule("ive", "", .measureAbove1), Rule("ize", "", .measureAbove1),
    ]

    private func step4(_ w: [UInt8]) -> [UInt8] { Self.applyRules(w, Self.step4Rules) }

    private func step5a(_ w: [UInt8]) -> [UInt8] {
        guard Self.endsWith(w, "e") else { return w }
        let stem = Self.dropping(w, 1)
        let m = Self.measure(stem)
        if m > 1 { return Array(stem) }
        if m == 1 && !Self.endsCVC(stem) { return Array(stem) }
        return w
    }

    private static let step5bRules = [Rule("ll", "l", .doubleL)]

    private func step5b(_ w: [UInt8]) -> [UInt8] { Self.applyRules(w, Self.step5bRules) }
}
