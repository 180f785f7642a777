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

final class LongestCommonSubsequenceTests: XCTestCase {
    /// A sentence pair whose DP table would exceed the bound is refused before allocating it.
    func testHugeSentencePairIsRefused() {
        var lcs = LongestCommonSubsequence()
        let long = [Int32](repeating: 1, count: 6_000)
        XCTAssertThrowsError(try lcs.scoreLsum(target: [long], prediction: [long], vocabularySize: 2))
        XCTAssertNoThrow(try lcs.scoreLsum(target: [Array(long.prefix(100))], prediction: [Array(long.prefix(100))], vocabularySize: 2))
    }

    /// rouge_score's backtracking picks one particular LCS; the union over candidate
    /// sentences depends on which (values from rouge_score: P 0.6, R 0.75).
    func testSummaryLevelUnionFollowsBacktracking() throws {
        var lcs = LongestCommonSubsequence()
        // ref "a b a b" vs candidates "b a" and "a b a": union LCS {0,1,2} -> hits 3.
        let score = try lcs.scoreLsum(target: [[0, 1, 0, 1]], prediction: [[1, 0], [0, 1, 0]], vocabularySize: 2)
        XCTAssertEqual(score.precision, 0.6)
        XCTAssertEqual(score.recall, 0.75)
    }
}
