import XCTest
@testable import Rouge

final class PorterStemmerTests: XCTestCase {
    /// Every word of the fixture (73k distinct English words) stems exactly as nltk's.
    func testMatchesNLTKOnWordList() throws {
        let stemmer = PorterStemmer()
        var checked = 0
        var mismatches: [String] = []
        for line in try Fixtures.text("stemmer_words.txt").split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            let word = String(parts[0])
            var expected = word
            if parts.count == 2 {
                let code = parts[1]
                let digits = code.prefix { $0.isNumber }
                let drop = Int(digits)!
                expected = String(word.dropLast(drop)) + code.dropFirst(digits.count)
            }
            let got = stemmer.stem(word)
            if got != expected && mismatches.count < 20 { mismatches.append("\(word): \(got) != \(expected)") }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 30_000)
        XCTAssertEqual(mismatches, [])
    }

    func testKnownStems() {
        let stemmer = PorterStemmer()
        let cases = [
            ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("dies", "die"),
            ("flies", "fli"), ("dying", "die"), ("skies", "sky"), ("news", "news"),
            ("generalizations", "gener"), ("happily", "happili"), ("hopefulness", "hope"),
            ("controlling", "control"), ("agreed", "agre"), ("feed", "feed"),
            ("syzygy", "syzygi"), ("enjoy", "enjoy"), ("archaeology", "archaeolog"),
        ]
        for (word, stem) in cases { XCTAssertEqual(stemmer.stem(word), stem, word) }
    }

    /// A hostile run of 'y's neither recurses deeply nor takes quadratic time per letter check.
    func testLongYRunDoesNotCrash() {
        let word = String(repeating: "y", count: 200_000) + "ing"
        XCTAssertFalse(PorterStemmer().stem(word).isEmpty)
    }
}
