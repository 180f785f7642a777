import XCTest
@testable import Rouge

/// Expected tokens from rouge_score 0.1.2's DefaultTokenizer(use_stemmer=True).
final class RougeTokenizerTests: XCTestCase {
    func testMatchesRougeScore() {
        let tokenizer = RougeTokenizer()
        let cases: [(String, [String])] = [
            ("The quick-brown fox's 2nd e-mail!", ["the", "quick", "brown", "fox", "s", "2nd", "e", "mail"]),
            ("İstanbul \u{212A}elvin café naïve", ["i", "stanbul", "kelvin", "caf", "na", "ve"]),
            ("Hello\r\nWORLD\tDon't", ["hello", "world", "don", "t"]),
            ("", []),
            ("running runs ran studies flies dying", ["run", "run", "ran", "studi", "fli", "die"]),
            ("x86_64 covid19 ＡＢＣ ½", ["x86", "64", "covid19"]),
        ]
        for (text, tokens) in cases { XCTAssertEqual(tokenizer.tokenize(text), tokens, text) }
    }

    func testWithoutStemmerKeepsWords() {
        XCTAssertEqual(RougeTokenizer(usesStemmer: false).tokenize("Running FLIES"), ["running", "flies"])
    }

    /// Only tokens longer than 3 characters are stemmed ("ties" would become "tie", "ran" stays).
    func testShortTokensAreNotStemmed() {
        XCTAssertEqual(RougeTokenizer().tokenize("ies sky ties"), ["ies", "sky", "tie"])
    }
}

final class RougeScorerTests: XCTestCase {
    func testRougeLsumSplitsOnNewlinesOnly() throws {
        let scorer = RougeScorer()
        // Same tokens; as one line rougeLsum equals rougeL, split in two it differs.
        let one = try scorer.score(target: "a b c d e", prediction: "d e a b c")
        XCTAssertEqual(one.rougeL, one.rougeLsum)
        let split = try scorer.score(target: "a b c\nd e", prediction: "d e\na b c")
        XCTAssertEqual(split.rougeLsum.fmeasure, 1.0)
        XCTAssertLessThan(split.rougeL.fmeasure, 1.0)
    }

    func testEmptyTextsScoreZero() throws {
        let scores = try RougeScorer().score(target: "", prediction: "something")
        for type in RougeType.allCases { XCTAssertEqual(scores[type], .zero) }
    }

    func testIdenticalTextsScoreOne() throws {
        let scores = try RougeScorer().score(target: "Amanda will call Tom.\nHe agrees.", prediction: "Amanda will call Tom.\nHe agrees.")
        for type in RougeType.allCases { XCTAssertEqual(scores[type].fmeasure, 1.0, "\(type)") }
    }
}
