/// What Punkt learned from its training text: abbreviations, collocations across a period, frequent sentence
/// starters, and the orthographic contexts each word type was seen in. nltk's `PunktParameters`.
struct PunktModel: Sendable {
    /// Types (lowercase, final period dropped) that are abbreviations: "dr", "u.s", "p.m".
    var abbreviationTypes: Set<String>
    /// "first\tsecond" for type pairs seen across a period that is not a sentence break ("##number##\tcooper").
    var collocations: Set<String>
    /// Types that often begin a sentence ("he", "but").
    var sentenceStarters: Set<String>
    /// Type -> the `Orthography` flags of the contexts it was seen in; absent means none.
    var orthographicContexts: [String: Int]

    /// nltk_data's punkt_tab/english, the model `nltk.sent_tokenize(text)` uses.
    static let english = PunktModel(
        abbreviationTypes: lines(PunktEnglishTables.abbreviationTypes),
        collocations: lines(PunktEnglishTables.collocations),
        sentenceStarters: lines(PunktEnglishTables.sentenceStarters),
        orthographicContexts: counts(PunktEnglishTables.orthographicContexts))

    private static func lines(_ table: String) -> Set<String> {
        Set(table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    private static func counts(_ table: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            // The table is generated and checked by hash; a malformed line would be a build-time mistake.
            precondition(fields.count == 2, "punkt_tab ortho_context line without one tab: \(line)")
            out[String(fields[0])] = Int(fields[1])!
        }
        return out
    }
}

/// The orthographic context flags of nltk's punkt.py: where a type was seen with an upper- or lowercase
/// first letter (beginning of a sentence, middle, or unknown).
enum Orthography {
    static let beginUpper = 1 << 1
    static let middleUpper = 1 << 2
    static let unknownUpper = 1 << 3
    static let beginLower = 1 << 4
    static let middleLower = 1 << 5
    static let unknownLower = 1 << 6
    static let upper = beginUpper | middleUpper | unknownUpper
    static let lower = beginLower | middleLower | unknownLower
}
