import Failures
import TestSupport
import XCTest
@testable import Rouge

final class RougeEvaluationTests: XCTestCase {
    func evaluate(_ dir: TemporaryDirectory, base: [(String, String)] = SampleData.base,
                  lora: [(String, String)] = SampleData.lora,
                  references: [(String, String)] = SampleData.references) throws -> RougeReport {
        let r = try dir.writeRows("refs.jsonl", field: "summary", references)
        let b = try dir.writeRows("base.jsonl", field: "prediction", base)
        let l = try dir.writeRows("lora.jsonl", field: "prediction", lora)
        return try RougeEvaluation.evaluate(systems: [SystemInput(name: "base", predictions: b),
                                                      SystemInput(name: "lora", predictions: l)],
                                            references: r, inputs: ["generate": "key123"])
    }

    func error(_ body: () throws -> Void) -> PipelineError? {
        do { try body() } catch let e as PipelineError { return e } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    func testComparisonHasBothSystemsAndPairedDifference() throws {
        let dir = try TemporaryDirectory()
        let report = try evaluate(dir)
        let m = report.metrics
        XCTAssertEqual(m.systemOrder, ["base", "lora"])
        XCTAssertEqual(m.inputs, ["generate": "key123"])
        let base = try XCTUnwrap(m.systems["base"]?.rouge[.rouge1])
        let lora = try XCTUnwrap(m.systems["lora"]?.rouge[.rouge1])
        XCTAssertEqual(m.systems["base"]?.n, 6)
        XCTAssertGreaterThan(lora.fmeasure.mean, base.fmeasure.mean)
        XCTAssertLessThanOrEqual(base.fmeasure.low, base.fmeasure.high)
        let d = try XCTUnwrap(m.comparison(baseline: "base", candidate: "lora")?.rouge[.rouge1])
        XCTAssertEqual(d.delta, lora.fmeasure.mean - base.fmeasure.mean, accuracy: 1e-15)
        XCTAssertGreaterThan(d.low, 0)
        XCTAssertEqual(d.shareAtOrBelowZero, 0)
    }

    func testFilesRoundTripExactly() throws {
        let dir = try TemporaryDirectory()
        let report = try evaluate(dir)
        let (metricsURL, perExampleURL) = try report.write(to: dir.url.appendingPathComponent("metrics"))
        let metrics = try RougeReport.decodeMetrics(Data(contentsOf: metricsURL), path: metricsURL.path)
        XCTAssertEqual(metrics, report.metrics)
        let perExample = try RougeReport.decodePerExample(Data(contentsOf: perExampleURL), path: perExampleURL.path)
        XCTAssertEqual(perExample["base"], report.examples["base"])
        XCTAssertEqual(perExample["lora"], report.examples["lora"])
    }

    func testPredictionWithoutReferenceNamesTheID() throws {
        let dir = try TemporaryDirectory()
        let e = error { _ = try self.evaluate(dir, references: Array(SampleData.references.dropLast())) }
        XCTAssertEqual(e?.status, .badInput)
        XCTAssertTrue(e?.description.contains("id \"6\" has no reference") ?? false, e?.description ?? "")
    }

    func testSystemsMustCoverTheSameIDs() throws {
        let dir = try TemporaryDirectory()
        let missing = error { _ = try self.evaluate(dir, lora: Array(SampleData.lora.dropFirst())) }
        XCTAssertTrue(missing?.description.contains("id \"1\"") ?? false, missing?.description ?? "")
        XCTAssertTrue(missing?.description.contains("is missing") ?? false, missing?.description ?? "")
        let extra = error { _ = try self.evaluate(dir, base: Array(SampleData.base.dropLast())) }
        XCTAssertTrue(extra?.description.contains("id \"6\" is not in") ?? false, extra?.description ?? "")
    }

    func testMalformedInputsAreOneLineErrors() throws {
        let dir = try TemporaryDirectory()
        let refs = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let cases: [(String, String)] = [
            ("{\"id\": \"1\", \"prediction\": \"x\"}\n{\"id\": \"1\", \"prediction\": \"y\"}\n", "line 2: duplicate id \"1\""),
            ("{\"id\": \"1\", \"prediction\": \"x\"}\n{not json\n", "line 2, column 2: malformed JSON: expected a field name in quotes"),
            ("{\"id\": \"1\"}\n", "line 1: missing field \"prediction\""),
            ("{\"id\": \"1\", \"prediction\": 5}\n", "line 1: field \"prediction\" must be a string"),
            ("[1, 2]\n", "line 1: expected a JSON object, not an array"),
            ("\n\n", "no predictions to score"),
        ]
        for (content, message) in cases {
            let p = try dir.write("bad.jsonl", content)
            let e = error { _ = try RougeEvaluation.evaluate(systems: [SystemInput(name: "s", predictions: p)], references: refs) }
            XCTAssertEqual(e?.status, .badInput, message)
            XCTAssertTrue(e?.description.hasPrefix(p.path + ": ") ?? false, e?.description ?? "")
            XCTAssertTrue(e?.description.contains(message) ?? false, "\(e?.description ?? "nil") lacks \(message)")
            XCTAssertFalse(e?.description.contains("\n") ?? true)
        }
        let missing = error {
            _ = try RougeEvaluation.evaluate(systems: [SystemInput(name: "s", predictions: dir.url.appendingPathComponent("nope.jsonl"))],
                                             references: refs)
        }
        XCTAssertEqual(missing?.status, .missingInput)
        XCTAssertEqual(missing?.status, .missingInput)
    }

    func testIntegerIDsAreAccepted() throws {
        let dir = try TemporaryDirectory()
        let refs = try dir.write("refs.jsonl", "{\"id\": 7, \"summary\": \"Tom calls Ann.\", \"dialogue\": \"...\"}\n")
        let preds = try dir.write("p.jsonl", "{\"id\": \"7\", \"prediction\": \"Tom calls Ann.\"}\n")
        let report = try RougeEvaluation.evaluate(systems: [SystemInput(name: "s", predictions: preds)], references: refs)
        XCTAssertEqual(report.examples["s"]?.first?.scores.rouge1.fmeasure, 1)
    }

    func testTablesShowFiguresInEveryFormat() throws {
        let dir = try TemporaryDirectory()
        let m = try evaluate(dir).metrics
        let r1 = m.systems["lora"]!.rouge[.rouge1]!.fmeasure.mean
        let expected = Figures.value(r1)
        let table = ComparisonTable.render(m, format: .table)
        XCTAssertTrue(table.contains("lora - base"), table)
        XCTAssertTrue(table.contains(expected), table)
        XCTAssertTrue(table.contains("rougeLsum"), table)
        XCTAssertTrue(table.contains("share <= 0: the fraction of paired bootstrap resamples"), "the column is explained")
        let markdown = ComparisonTable.render(m, format: .markdown)
        XCTAssertTrue(markdown.contains("| rouge1 |"), markdown)
        XCTAssertTrue(markdown.contains("| --- |"), markdown)
        let json = ComparisonTable.render(m, format: .json)
        XCTAssertEqual(try RougeReport.decodeMetrics(Data(json.utf8), path: "json"), m)
    }

    func testFigureFormatting() {
        XCTAssertEqual(Figures.value(0.42894), "0.4289")
        XCTAssertEqual(Figures.signed(0.03941), "+0.0394")
        XCTAssertEqual(Figures.signed(-0.00004), "+0.0000")
        XCTAssertEqual(Figures.signed(-0.0123), "-0.0123")
        XCTAssertEqual(Figures.share(0.0345), "0.035")
    }
}

final class RougeStageCallTests: XCTestCase {
    /// The one call the pipeline stage makes writes both files and returns what it wrote.
    func testCompareBaseAndLoRAWritesBothFiles() throws {
        let dir = try TemporaryDirectory()
        let r = try dir.writeRows("refs.jsonl", field: "summary", SampleData.references)
        let b = try dir.writeRows("base.jsonl", field: "prediction", SampleData.base)
        let l = try dir.writeRows("lora.jsonl", field: "prediction", SampleData.lora)
        let out = dir.url.appendingPathComponent("store/key")
        let report = try RougeEvaluation.compareBaseAndLoRA(base: b, lora: l, references: r, outputDirectory: out,
                                                            inputs: ["generate": "k1"],
                                                            bootstrap: BootstrapConfiguration(resamples: 200, seed: 7))
        let written = try Data(contentsOf: out.appendingPathComponent(RougeReport.metricsFileName))
        XCTAssertEqual(written, report.metricsJSON())
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(RougeReport.perExampleFileName)), report.perExampleJSONL())
        XCTAssertEqual(report.metrics.scorer.bootstrap, BootstrapConfiguration(resamples: 200, seed: 7))
        XCTAssertEqual(report.metrics.systemOrder, ["base", "lora"])
    }
}
