import XCTest
@testable import Rouge

/// The Swift Punkt splitter against nltk 3.10.4's `sent_tokenize` (English punkt_tab), and ROUGE-Lsum with
/// `rouge.lsum_split: sentences` against rouge_score on the rewritten texts
/// (scripts/fixtures/punkt_sentences_fixture.py; Tests/Fixtures/Rouge/README.md).
final class PunktSentenceSplitterTests: XCTestCase {
    let splitter = PunktSentenceSplitter.english

    struct Case: Decodable {
        var text: String
        var spans: [[Int]]
    }

    func cases() throws -> [Case] {
        try Fixtures.text("punkt_sentences.jsonl").split(separator: "\n").map {
            try JSONDecoder().decode(Case.self, from: Data($0.utf8))
        }
    }

    func describe(_ spans: [Range<Int>]) -> String {
        spans.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    func testSpansOfHandWrittenAndRandomTextsMatchNLTK() throws {
        let cases = try cases()
        XCTAssertGreaterThan(cases.count, 2000)
        var failures: [String] = []
        for c in cases {
            let got = describe(splitter.spans(Array(c.text.unicodeScalars)))
            let want = c.spans.map { "\($0[0])-\($0[1])" }.joined(separator: ",")
            if got != want && failures.count < 10 { failures.append("\(c.text.debugDescription): \(got) vs nltk \(want)") }
        }
        XCTAssertEqual(failures, [])
    }

    func testSpansOfTheROUGEParityTextsMatchNLTK() throws {
        let predictions = try jsonLines("parity_predictions.jsonl", field: "prediction")
        let references = try jsonLines("parity_references.jsonl", field: "summary")
        let lines = try Fixtures.text("parity_punkt_spans.tsv").split(separator: "\n")
        XCTAssertEqual(lines.count, 2 * predictions.count)
        var failures: [String] = []
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            let text = try XCTUnwrap(f[1] == "prediction" ? predictions[String(f[0])] : references[String(f[0])])
            let got = describe(splitter.spans(Array(text.unicodeScalars)))
            if got != f[2] && failures.count < 10 { failures.append("\(f[0]) \(f[1]): \(got) vs nltk \(f[2])") }
        }
        XCTAssertEqual(failures, [])
    }

    func testSentencesAreTheTextsOfTheSpans() {
        XCTAssertEqual(splitter.sentences("Mr. Smith went to Washington. He arrived at 5 p.m. on Monday! (Yes.) Next."),
                       ["Mr. Smith went to Washington.", "He arrived at 5 p.m. on Monday!", "(Yes.)", "Next."])
        XCTAssertEqual(splitter.sentences("   "), [])
        XCTAssertEqual(splitter.sentences("ΟΔΥΣΣΕΑΣ. Then Greek."), ["ΟΔΥΣΣΕΑΣ.", "Then Greek."])
    }

    /// The regex module's \\s, \\w, \\d and Python's isspace/isupper/islower, code point by code point, for every
    /// character Unicode 14 (Python 3.11's and no later than Swift's) had assigned.
    func testCharacterClassesAreTheRegexModulesAndPythons() throws {
        struct Table: Decodable { var classes: [String: [[UInt32]]] }
        let table = try JSONDecoder().decode(Table.self, from: Data(contentsOf: Fixtures.url("regex_classes.json")))
        let predicates: [String: (Unicode.Scalar) -> Bool] = [
            "regex_s": PythonCharacter.isSpace, "regex_w": PythonCharacter.isWordCharacter,
            "regex_d": PythonCharacter.isDigit, "str_isspace": PythonCharacter.isStrippedSpace,
            "str_isupper": { $0.properties.isUppercase }, "str_islower": { $0.properties.isLowercase },
        ]
        XCTAssertEqual(Set(table.classes.keys), Set(predicates.keys))
        for (name, ranges) in table.classes {
            var inClass = Set<UInt32>()
            for r in ranges { for v in r[0]...r[1] { inClass.insert(v) } }
            var differ: [String] = []
            var checked = 0
            for v in UInt32(0)...0x10FFFF {
                guard let c = Unicode.Scalar(v), let age = c.properties.age, age.major < 14 || (age.major == 14 && age.minor == 0)
                else { continue }
                checked += 1
                if predicates[name]!(c) != inClass.contains(v), differ.count < 10, !Self.lowercaseSince15.contains(v) {
                    differ.append(String(v, radix: 16))
                }
            }
            XCTAssertGreaterThan(checked, 140_000)
            XCTAssertEqual(differ, [], name)
        }
    }

    /// Old letters that later Unicode versions made Lowercase (Other_Lowercase), which Swift's data has and Python
    /// 3.11's 14.0 does not: a difference of Unicode versions, not of definitions.
    static let lowercaseSince15: Set<UInt32> = [0x295, 0x10FC, 0xA7F2, 0xA7F3, 0xA7F4, 0xAB69]

    func testPythonLowercasingOfAFinalSigma() {
        XCTAssertEqual(String(String.UnicodeScalarView(PythonCharacter.lowercased(Array("ΟΔΥΣΣΕΑΣ".unicodeScalars)[...]))),
                       "οδυσσεας")
        XCTAssertEqual(String(String.UnicodeScalarView(PythonCharacter.lowercased(Array("Σ".unicodeScalars)[...]))), "σ")
        XCTAssertEqual(String(String.UnicodeScalarView(PythonCharacter.lowercased(Array("İ".unicodeScalars)[...]))), "i\u{307}")
    }

    func testLsumOnSentencesMatchesRougeScoreOnNLTKSplitTexts() throws {
        let report = try RougeEvaluation.evaluate(
            systems: [SystemInput(name: "system", predictions: Fixtures.url("parity_predictions.jsonl"))],
            references: Fixtures.url("parity_references.jsonl"),
            bootstrap: BootstrapConfiguration(resamples: 10), lsumSplit: .sentences)
        let scored = try XCTUnwrap(report.examples["system"])
        let expected = try Fixtures.text("parity_expected_lsum_sentences.tsv").split(separator: "\n")
        XCTAssertEqual(scored.count, expected.count)
        let newline = try Fixtures.text("parity_expected.tsv").split(separator: "\n")
        var failures: [String] = []
        var changed = 0
        for ((got, line), plain) in zip(zip(scored, expected), newline) {
            let f = line.split(separator: "\t").map(String.init)
            XCTAssertEqual(got.id, f[0])
            let want = f.dropFirst().map { Double($0)! }
            let lsum = got.scores.rougeLsum
            for (a, b) in zip([lsum.precision, lsum.recall, lsum.fmeasure], want) where abs(a - b) > 1e-12 && failures.count < 10 {
                failures.append("\(f[0]): \(a) vs \(b)")
            }
            // ROUGE-1, -2 and -L are those of the newline split.
            let p = plain.split(separator: "\t").dropFirst().map { Double($0)! }
            XCTAssertEqual(got.scores.rouge1.fmeasure, p[2], accuracy: 1e-12)
            XCTAssertEqual(got.scores.rougeL.fmeasure, p[8], accuracy: 1e-12)
            if abs(p[11] - want[2]) > 1e-12 { changed += 1 }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(changed, 150, "the sentence split changes rougeLsum on many pairs (176), so the test can fail")
        XCTAssertEqual(report.metrics.scorer.lsumSentenceSplit, "sentences")
    }

    private func jsonLines(_ name: String, field: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try Fixtures.text(name).split(separator: "\n") {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            out[try XCTUnwrap(row["id"] as? String)] = try XCTUnwrap(row[field] as? String)
        }
        return out
    }
}
