import JSON
import XCTest
@testable import PEFT

final class AdapterConfigTests: XCTestCase {
    /// A new config with the reference settings is byte-identical to PEFT 0.21.2's file.
    /// The one string escaper, both of Python's styles: json.dumps("é😀\x7f\x08\x01\"") ==
    /// '"\\u00e9\\ud83d\\ude00\\u007f\\b\\u0001\\""', and with ensure_ascii=False '"é😀\x7f\\b\\u0001\\""'.
    func testStringEscapingMatchesPython() {
        let text = "é😀\u{7F}\u{08}\u{01}\""
        XCTAssertEqual(JSONValue.string(text).pythonJSON(), #""\u00e9\ud83d\ude00\u007f\b\u0001\"""#)
        XCTAssertEqual(JSONValue.quoted(text), "\"é😀\u{7F}\\b\\u0001\\\"\"")
        XCTAssertEqual(JSONValue.string(text).canonical, JSONValue.quoted(text))
    }

    func testNewConfigWritesPEFTsBytes() throws {
        let reference = try AdapterConfig(lora: LoRAConfig(rank: 32, alpha: 32, dropout: 0.05, targetModules: ["v", "q"]), baseModelNameOrPath: "google/flan-t5-base")
        XCTAssertEqual(String(decoding: reference.jsonData(), as: UTF8.self),
                       String(decoding: try loadFixture("adapter_config_reference.json"), as: UTF8.self))
        let rs = try AdapterConfig(lora: LoRAConfig(rank: 8, alpha: 16, dropout: 0, targetModules: ["q", "v", "k", "o", "wi_0"],
                                   useRSLoRA: true), baseModelNameOrPath: "google/flan-t5-base")
        XCTAssertEqual(rs.jsonData(), try loadFixture("adapter_config_rslora.json"))
        XCTAssertEqual(rs.lora!.scale(of: "q"), Float(16 / 8.0.squareRoot()))
    }

    func testReadsPEFTFilesAndRoundTripsBytes() throws {
        for name in ["adapter_config_reference.json", "adapter_config_rslora.json"] {
            let url = loraFixtures.appendingPathComponent(name)
            let config = try AdapterConfig.read(from: url)
            XCTAssertEqual(config.jsonData(), try Data(contentsOf: url), name)
            XCTAssertEqual(config.baseModelNameOrPath, "google/flan-t5-base")
        }
        let reference = try AdapterConfig.read(from: loraFixtures.appendingPathComponent("adapter_config_reference.json"))
        XCTAssertEqual(reference.lora!.rank, 32)
        XCTAssertEqual(reference.lora!.alpha, 32)
        XCTAssertEqual(reference.lora!.dropout, 0.05)
        XCTAssertEqual(reference.lora!.targetModules, ["q", "v"])
        XCTAssertFalse(reference.lora!.useRSLoRA)
        XCTAssertEqual(reference.lora!.scale(of: "q"), 1)
        XCTAssertNoThrow(try reference.validate(forBaseModel: "google/flan-t5-base"))
        XCTAssertThrowsError(try reference.validate(forBaseModel: "google/flan-t5-small")) { e in
            XCTAssertTrue("\(e)".contains("flan-t5-small"))
        }
    }

    func testWriteThenReadGivesTheSameConfig() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try AdapterConfig(lora: LoRAConfig(rank: 4, alpha: 8.5, dropout: 0.1, targetModules: ["wo", "q"]), baseModelNameOrPath: "local/model\u{e9}")
        config.inferenceMode = true
        let url = dir.appendingPathComponent("adapter_config.json")
        try config.write(to: url)
        let back = try AdapterConfig.read(from: url)
        XCTAssertEqual(back.lora!.alpha, 8.5)
        XCTAssertEqual(back.lora!.targetModules, ["q", "wo"])
        XCTAssertEqual(back.baseModelNameOrPath, "local/model\u{e9}")
        XCTAssertTrue(back.inferenceMode)
        XCTAssertTrue(String(decoding: try Data(contentsOf: url), as: UTF8.self).contains("\"local/model\\u00e9\""))
    }

    /// Each bad file gives one line naming the file and the field.
    func testRejectsBadConfigsWithOneLineNamingTheFile() throws {
        let good = String(decoding: try loadFixture("adapter_config_reference.json"), as: UTF8.self)
        let cases: [(String, String, String)] = [
            ("\"r\": 32", "\"r\": 0", "r = 0"),
            ("\"r\": 32", "\"r\": 3.5", "r is missing"),
            ("\"peft_type\": \"LORA\"", "\"peft_type\": \"ADALORA\"", "peft_type \"ADALORA\" is not a method this build knows"),
            ("\"v\"", "\"layer_norm\"", "layer_norm"),
            ("\"use_dora\": false", "\"use_dora\": true", "use_dora"),
            ("\"rank_pattern\": {}", "\"rank_pattern\": {\"q\": 0}", "rank_pattern[\"q\"] must be a positive integer"),
            ("\"lora_dropout\": 0.05", "\"lora_dropout\": 1.5", "lora_dropout"),
            ("\"task_type\": \"SEQ_2_SEQ_LM\"", "\"task_type\": \"CAUSAL_LM\"", "task_type"),
            ("\"bias\": \"none\"", "\"bias\": \"all\"", "bias"),
            ("}", "", "malformed JSON at line"),
            ("\"v\"", "\"SelfAttention.lm_head\"", "SelfAttention.lm_head"),
        ]
        for (from, to, expected) in cases {
            guard let range = good.range(of: from, options: .backwards) else { return XCTFail("fixture lacks \(from)") }
            let text = good.replacingCharacters(in: range, with: to)
            XCTAssertThrowsError(try AdapterConfig(jsonData: Data(text.utf8), path: "x/adapter_config.json"), to) { e in
                let line = "\(e)"
                XCTAssertTrue(line.hasPrefix("x/adapter_config.json: "), line)
                XCTAssertTrue(line.contains(expected), "\(line) lacks \(expected)")
                XCTAssertFalse(line.contains("\n"))
            }
        }
        XCTAssertThrowsError(try AdapterConfig(jsonData: Data("[1]".utf8)))
        XCTAssertThrowsError(try AdapterConfig(lora: LoRAConfig(rank: 8, alpha: 8, dropout: 0, targetModules: []), baseModelNameOrPath: nil))
    }

    /// PEFT's target rule: a list entry is a module name or a "."-suffix of one; one string is a regex
    /// full-matched against the whole name.
    func testTargetRuleIsPEFTs() throws {
        let good = String(decoding: try loadFixture("adapter_config_reference.json"), as: UTF8.self)
        func config(targets: String) throws -> AdapterConfig {
            let start = try XCTUnwrap(good.range(of: "\"target_modules\": ["))
            let end = try XCTUnwrap(good.range(of: "]", range: start.upperBound..<good.endIndex))
            return try AdapterConfig(jsonData: Data(good.replacingCharacters(in: start.lowerBound..<end.upperBound,
                                                                              with: "\"target_modules\": \(targets)").utf8))
        }
        let q = "encoder.block.0.layer.0.SelfAttention.q", crossQ = "decoder.block.1.layer.1.EncDecAttention.q"
        let suffix = try config(targets: #"["SelfAttention.q", "wo"]"#)
        XCTAssertTrue(suffix.lora!.matches(q))
        XCTAssertFalse(suffix.lora!.matches(crossQ))
        XCTAssertTrue(suffix.lora!.matches("decoder.block.0.layer.2.DenseReluDense.wo"))
        XCTAssertFalse(suffix.lora!.matches("encoder.block.0.layer.0.SelfAttention.qq"))
        let regex = try config(targets: #"".*decoder.*\\.q""#)
        XCTAssertEqual(regex.lora!.targetPattern, #".*decoder.*\.q"#)
        XCTAssertTrue(regex.lora!.matches(crossQ))
        XCTAssertFalse(regex.lora!.matches(q))
        XCTAssertFalse(regex.lora!.matches(crossQ + "x"), "a full match, not a search")
        XCTAssertEqual(try AdapterConfig(jsonData: regex.jsonData()), regex, "the pattern is written back as a string")
        XCTAssertThrowsError(try config(targets: #""(q""#)) { XCTAssertTrue("\($0)".contains("not a regular expression"), "\($0)") }
    }

    func testJSONParserIsStrictAndBounded() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertThrowsError(try JSONValue.parse(Data(deep.utf8))) { e in XCTAssertTrue("\(e)".contains("nesting")) }
        for bad in ["{\"a\":1,}", "[01]", "\"\\x\"", "{\"a\":1,\"a\":2}", "1 2", "\"\u{01}\"", "[1e999]", "\"\\ud800\""] {
            XCTAssertThrowsError(try JSONValue.parse(Data(bad.utf8)), bad)
        }
        XCTAssertEqual(try JSONValue.parse(Data("[1, 1.0, -0.5e-3, \"\\u00e9\\ud83d\\ude00\", null, true]".utf8)),
                       .array([.int(1), .double(1), .double(-0.0005), .string("\u{e9}\u{1F600}"), .null, .bool(true)]))
    }

    /// Python's json.dumps(indent=2, sort_keys=True) on the same values
    /// (`json.dumps({"b": [1.0, 1e-05, 1e16, 0.0001, "é😀\n"], "a": {}, "A": []}, indent=2, sort_keys=True)`).
    func testPythonStylePrinting() {
        let v = JSONValue.object(["b": .array([.double(1), .double(1e-5), .double(1e16), .double(0.0001),
                                               .string("\u{e9}\u{1F600}\n")]),
                                  "a": .object([:]), "A": .array([])])
        XCTAssertEqual(v.pythonJSON(), """
        {
          "A": [],
          "a": {},
          "b": [
            1.0,
            1e-05,
            1e+16,
            0.0001,
            "\\u00e9\\ud83d\\ude00\\n"
          ]
        }
        """)
    }

    /// IA3: a new config with PEFT's T5 defaults is PEFT's file byte for byte; PEFT's files (that one, and one
    /// saved by `save_pretrained` for the tiny test model) read back to the same settings and bytes.
    func testIA3ConfigIsPEFTsBothWays() throws {
        let made = try AdapterConfig(method: .ia3(IA3Config()), baseModelNameOrPath: "google/flan-t5-base")
        XCTAssertEqual(String(decoding: made.jsonData(), as: UTF8.self),
                       String(decoding: try loadFixture("adapter_config_ia3.json"), as: UTF8.self))
        let read = try AdapterConfig.read(from: loraFixtures.appendingPathComponent("adapter_config_ia3.json"))
        XCTAssertEqual(read.method, .ia3(IA3Config(targetModules: ["k", "v", "wo"], feedforwardModules: ["wo"])))
        XCTAssertEqual(read.method.peftType, "IA3")
        XCTAssertNil(read.lora)
        let saved = loraFixtures.deletingLastPathComponent().appendingPathComponent("T5/adapter_ia3/adapter_config.json")
        let tiny = try AdapterConfig.read(from: saved)
        XCTAssertEqual(tiny.jsonData(), try Data(contentsOf: saved))
        XCTAssertTrue(tiny.inferenceMode)
        XCTAssertTrue(tiny.method.ia3!.isFeedForward("decoder.block.0.layer.2.DenseReluDense.wo"))
        XCTAssertFalse(tiny.method.ia3!.isFeedForward("decoder.block.0.layer.0.SelfAttention.v"))
    }

    func testBadIA3ConfigsAreOneLineNamingTheFile() throws {
        let good = String(decoding: try loadFixture("adapter_config_ia3.json"), as: UTF8.self)
        for (from, to, expected) in [
            ("\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true", "fan_in_fan_out"),
            ("\"wo\"\n  ],\n  \"inference_mode\"", "\"o\"\n  ],\n  \"inference_mode\"", "feedforward_modules \"o\" is not among target_modules"),
            ("\"k\",", "\"lm_head\",", "lm_head"),
            ("\"feedforward_modules\": [", "\"feedforward_modules\": 3, \"x\": [", "feedforward_modules is not a list"),
        ] {
            guard let range = good.range(of: from) else { return XCTFail("fixture lacks \(from)") }
            XCTAssertThrowsError(try AdapterConfig(jsonData: Data(good.replacingCharacters(in: range, with: to).utf8),
                                                   path: "x/adapter_config.json")) { e in
                let line = "\(e)"
                XCTAssertTrue(line.hasPrefix("x/adapter_config.json: ") && line.contains(expected), "\(line) lacks \(expected)")
                XCTAssertFalse(line.contains("\n"))
            }
        }
    }

    /// LoHa and LoKr: new configs with PEFT's defaults are PEFT's files byte for byte, and PEFT's files (those, and the
    /// ones saved for the tiny test model) read back to the same settings and bytes.
    func testLoHaAndLoKrConfigsArePEFTsBothWays() throws {
        for (name, method) in [("loha", AdapterMethod.loha(LycorisConfig())), ("lokr", .lokr(LycorisConfig()))] {
            let made = try AdapterConfig(method: method, baseModelNameOrPath: "google/flan-t5-base")
            XCTAssertEqual(String(decoding: made.jsonData(), as: UTF8.self),
                           String(decoding: try loadFixture("adapter_config_\(name).json"), as: UTF8.self), name)
            XCTAssertEqual(try AdapterConfig.read(from: loraFixtures.appendingPathComponent("adapter_config_\(name).json")).method, method)
            let saved = loraFixtures.deletingLastPathComponent().appendingPathComponent("T5/adapter_\(name)/adapter_config.json")
            let tiny = try AdapterConfig.read(from: saved)
            XCTAssertEqual(tiny.jsonData(), try Data(contentsOf: saved), name)
            XCTAssertEqual(tiny.method.lycoris?.rank, 4)
            XCTAssertEqual(tiny.method.lycoris?.scale(of: "encoder.block.0.layer.0.SelfAttention.q"), 2)
        }
    }

    /// PEFT's LoKr `factorization` (peft.tuners.lokr.layer, recorded by lora_make_peft.py) for widths 1 to 32,128 and
    /// factors -1, 4, 8, 16; and the factor shapes PEFT gives flan-t5-base's q and v at r 8 (w2 low-rank: 8 < 32/2).
    func testLoKrFactorisationIsPEFTs() throws {
        let facts = try JSONSerialization.jsonObject(with: loadFixture("t5_base_peft_targets.json")) as! [String: Any]
        let cases = facts["lokr_factorization"] as! [[Any]]
        XCTAssertEqual(cases.count, 56)
        for c in cases {
            let (dimension, factor, expected) = (c[0] as! Int, c[1] as! Int, c[2] as! [Int])
            let got = LoKrShape.factorization(dimension, factor: factor)
            XCTAssertEqual([got.0, got.1], expected, "factorization(\(dimension), \(factor))")
        }
        let lokr = facts["lokr"] as! [String: Any]
        let rows = (lokr["state_dict"] as! [[Any]]).prefix(3)
        let shape = LoKrShape(inFeatures: 768, outFeatures: 768, rank: 8, decomposeBoth: false, decomposeFactor: -1)
        XCTAssertEqual(shape.tensors.map(\.name), rows.map { String(($0[0] as! String).split(separator: ".").last!) })
        XCTAssertEqual(shape.tensors.map(\.shape), rows.map { $0[1] as! [Int] })
        XCTAssertEqual(lokr["trainable_parameters"] as? Int, 72 * shape.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) })
        XCTAssertTrue(LoKrShape(inFeatures: 768, outFeatures: 768, rank: 8, decomposeBoth: true, decomposeFactor: -1).tensors
            .map(\.name) == ["lokr_w1_a", "lokr_w1_b", "lokr_w2_a", "lokr_w2_b"], "decompose_both: 8 < 24/2")
    }

    /// Prompt tuning and P-tuning: a new config with the tiny test model's facts is the file PEFT saved for it, byte for
    /// byte; reading it gives the same settings and bytes.
    func testPromptConfigsArePEFTsBothWays() throws {
        let facts = PromptConfig(virtualTokens: 5, tokenDim: 64, attentionHeads: 4, layers: 2)
        var p = facts
        p.encoderHiddenSize = 32
        var prefix = facts
        prefix.encoderHiddenSize = 64
        for (name, method) in [("prompt_tuning", AdapterMethod.promptTuning(facts)), ("p_tuning", .pTuning(p)), ("prefix_tuning", .prefixTuning(prefix))] {
            let saved = loraFixtures.deletingLastPathComponent().appendingPathComponent("T5/adapter_\(name)/adapter_config.json")
            let made = try AdapterConfig(method: method, baseModelNameOrPath: "tiny", inferenceMode: true)
            XCTAssertEqual(String(decoding: made.jsonData(), as: UTF8.self), String(decoding: try Data(contentsOf: saved), as: UTF8.self), name)
            let read = try AdapterConfig.read(from: saved)
            XCTAssertEqual(read.method, method, name)
            XCTAssertEqual(read.jsonData(), try Data(contentsOf: saved), name)
            XCTAssertFalse(read.method.canMerge)
        }
        XCTAssertEqual((0..<12).map { PromptConfig(layers: 12).prefixSlots(layer: $0).keys }, [0, 4, 8, 12, 16, 20, 0, 4, 8, 12, 16, 20],
                       "flan-t5-base: PEFT's doubled slot list hands layers i and i + 6 the same prefix")
        XCTAssertEqual(PromptConfig(layers: 2).prefixSlots(layer: 1).values, 1)
        XCTAssertEqual(PromptConfig(virtualTokens: 3).initTokenIds([7, 8, 1]), [7, 8, 1, 7, 8, 1], "repeated to 2n")
        XCTAssertEqual(PromptConfig(virtualTokens: 2).initTokenIds([7, 8, 9, 10, 11, 1]), [7, 8, 9, 10], "cut to 2n")
    }
}
