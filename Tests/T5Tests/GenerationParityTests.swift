import XCTest
@testable import T5

/// Greedy and beam outputs against transformers' `generate` on 24 sources in batches of 8.
final class GenerationParityTests: XCTestCase {
    static let model = try! T5Model.load(directory: Fixtures.path("tiny"))

    static func settings(_ json: [String: Any]) -> GenerationSettings {
        var s = GenerationSettings()
        s.numBeams = json["num_beams"] as? Int ?? 1
        s.maxNewTokens = json["max_new_tokens"] as! Int
        s.minNewTokens = json["min_new_tokens"] as? Int ?? 0
        s.lengthPenalty = Float(json["length_penalty"] as? Double ?? 1)
        s.noRepeatNgramSize = json["no_repeat_ngram_size"] as? Int ?? 0
        s.repetitionPenalty = Float(json["repetition_penalty"] as? Double ?? 1)
        if let early = json["early_stopping"] as? Bool { s.earlyStopping = early ? .whenBeamsFull : .heuristic }
        return s
    }

    func testGreedyMatchesTransformers() throws { try checkGeneration("greedy") }

    func testGreedyWithNgramBlockingAndMinTokensMatchesTransformers() throws { try checkGeneration("greedy_blocked") }

    func testBeamSearchWithLengthPenaltyAndNgramBlockingMatchesTransformers() throws { try checkGeneration("beam") }

    func testBeamSearchWithEarlyStoppingAndMinTokensMatchesTransformers() throws { try checkGeneration("beam_early") }

    /// repetition_penalty above and below 1, greedy (raw logits, with n-gram blocking) and beam (log-probabilities),
    /// against transformers (Tests/Fixtures/T5/repetition_penalty.json: each setting changes transformers' output).
    func testRepetitionPenaltyMatchesTransformers() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("repetition_penalty.json")))
        let fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for name in ["greedy_penalty", "greedy_encourage", "beam_penalty"] { try checkGeneration(name, fixture: fixture) }
        var bad = GenerationSettings()
        for penalty: Float in [0, -1, .nan, .infinity] {
            bad.repetitionPenalty = penalty
            XCTAssertThrowsError(try Generator(model: Self.model).generate([[5, 1]], settings: bad), "\(penalty)")
        }
    }

    func testTiedReLUModelGreedyMatchesTransformers() throws {
        let model = try T5Model.load(directory: Fixtures.path("tiny_tied_relu"))
        let tied = Fixtures.section("tied")
        let settings = GenerationSettings(maxNewTokens: 12)
        let generator = Generator(model: model)
        let got = generator.huggingFaceLayout(try generator.generate(Fixtures.ids(tied["sources"]), settings: settings), settings: settings)
        XCTAssertEqual(got, Fixtures.ids((tied["greedy"] as! [Any])[0]))
    }

    func testNgramBanListMatchesDefinition() {
        // sequence 0 5 6 7 5 6: the 3-gram prefix (5, 6) was followed by 7
        XCTAssertEqual(LogitsProcessing.bannedByNgram([0, 5, 6, 7, 5, 6], n: 3), [7])
        XCTAssertEqual(LogitsProcessing.bannedByNgram([0, 5], n: 3), [])
        XCTAssertEqual(LogitsProcessing.bannedByNgram([0, 4, 4], n: 2), [4])
        XCTAssertEqual(LogitsProcessing.bannedByNgram([0, 4, 9, 4], n: 2), [9])
    }

    func testInvalidSettingsAndInputsAreClearErrors() {
        let generator = Generator(model: Self.model)
        XCTAssertThrowsError(try generator.generate([[5, 1]], settings: GenerationSettings(numBeams: 0)))
        XCTAssertThrowsError(try generator.generate([[5, 1]], settings: GenerationSettings(maxNewTokens: 0)))
        XCTAssertThrowsError(try generator.generate([[]], settings: GenerationSettings())) { error in
            XCTAssertTrue(String(describing: error).contains("empty"))
        }
        XCTAssertThrowsError(try generator.generate([[5, 100_000]], settings: GenerationSettings())) { error in
            XCTAssertTrue(String(describing: error).contains("outside the vocabulary"))
        }
    }
}

extension XCTestCase {
    /// Generates golden.json's sources in batches of 8 with the settings `name` and compares with `expectedOutputs`
    /// (by default golden.json's outputs for `name`).
    func checkGeneration(_ name: String, model: T5Model = GenerationParityTests.model, expectedOutputs: [Any]? = nil,
                       fixture: [String: Any]? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let generation = Fixtures.section("generation")
        let sources = Fixtures.ids(generation["sources"])
        let cases = fixture ?? generation
        let settings = GenerationParityTests.settings((cases["settings"] as! [String: Any])[name] as! [String: Any])
        let expected = expectedOutputs ?? ((cases["outputs"] as! [String: Any])[name] as! [Any])
        let generator = Generator(model: model)
        var compared = 0
        for (batchIndex, batch) in expected.enumerated() {
            let want = Fixtures.ids(batch)
            let chunk = Array(sources[(batchIndex * 8)..<min(sources.count, batchIndex * 8 + 8)])
            let got = generator.huggingFaceLayout(try generator.generate(chunk, settings: settings), settings: settings)
            XCTAssertEqual(got, want, "\(name) batch \(batchIndex)", file: file, line: line)
            compared += want.count
        }
        XCTAssertGreaterThanOrEqual(compared, 20, file: file, line: line)
    }
}
