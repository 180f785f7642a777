import TestSupport
import XCTest
@testable import Experiments
@testable import Rouge

/// Three runs of a sweep, one commit each: the learning rate, a label and the target list change, and
/// LoRA's predictions get worse from run to run (the third predicts what base predicts).
struct SweepRepository {
    let fixture: TemporaryGitRepository
    var repo: URL { fixture.url }
    var commits: [String] = []
    var metrics: [RougeMetrics] = []

    static let settings: [(lr: String, label: String, targets: String)] = [
        ("1e-3", "plain", "[q, v]"),
        ("5e-5", "'with, comma and \"quotes\"'", "[q, v]"),
        ("2e-3", "\"two\\nlines\"", "[q, v, k]"),
    ]

    init() throws {
        fixture = try TemporaryGitRepository()
        let half = SampleData.lora.enumerated().map { $0.offset % 2 == 0 ? SampleData.base[$0.offset] : $0.element }
        for (i, (setting, lora)) in zip(Self.settings, [SampleData.lora, half, SampleData.base]).enumerated() {
            try fixture.write("pipeline.yaml", "train:\n  lr: \(setting.lr)\n  epochs: 10\nlora:\n  targets: \(setting.targets)\n"
                              + "notes:\n  label: \(setting.label)\n")
            // the lock as the pipeline writes it: 1e-3 in the config is 0.001 in the lock (JSONValue's spelling)
            try fixture.write("pipeline.lock", "{\"stages\": {\"train-lora\": {\"key\": \"key-\(i)\", \"params\": {\"train.lr\": \(Double(setting.lr)!)}, "
                              + "\"outputs\": {\"data/adapter/adapter_model.safetensors\": \"sha-\(i)\"}}}}\n")
            metrics.append(try fixture.writeMetrics(lora: lora, inputs: ["train-lora.key": "key-\(i)"]))
            commits.append(try fixture.commitAll("run \(i)"))
        }
    }

    func lora(_ run: Int, _ type: RougeType) -> Double { metrics[run].systems["lora"]!.rouge[type]!.fmeasure.mean }

    /// The revision cell of run `i`.
    func label(_ i: Int) -> RougeSweep.Cell { .text("\(commits[i]) (\(commits[i].prefix(12)))") }
}

/// `score-rouge diff` over three revisions: the sweep table.
final class RougeSweepTests: XCTestCase {
    var sweep: SweepRepository!

    override func setUpWithError() throws { sweep = try SweepRepository() }
    override func tearDown() { sweep = nil }

    func table(includeRunIdentities: Bool = false) throws -> RougeSweep {
        try RougeSweep.across(sweep.commits, in: sweep.repo, includeRunIdentities: includeRunIdentities)
    }

    func column(_ table: RougeSweep, _ name: String) -> [RougeSweep.Cell] {
        let index = table.columns.firstIndex { $0.name == name }!
        return table.rows.map { $0[index] }
    }

    func testOneRowPerRevisionWithMeansAndTheParametersThatDiffer() throws {
        let t = try table()
        let rouge = RougeType.allCases.flatMap { type in ["base", "lora"].map { "\($0) \(type.rawValue)" } }
        // one column per parameter, a list as one value, each named as the config names it
        XCTAssertEqual(t.columns.map(\.name), ["revision", "subject"] + rouge + ["lora.targets", "notes.label", "train.lr"])
        XCTAssertEqual(column(t, "revision"), (0..<3).map(sweep.label))
        XCTAssertEqual(column(t, "subject"), (0..<3).map { .text("run \($0)") })
        for type in RougeType.allCases {
            XCTAssertEqual(column(t, "lora \(type.rawValue)"), (0..<3).map { RougeSweep.Cell.number(sweep.lora($0, type)) })
        }
        XCTAssertEqual(column(t, "base rouge1"), sweep.metrics.map { RougeSweep.Cell.number($0.systems["base"]!.rouge[.rouge1]!.fmeasure.mean) })
        XCTAssertEqual(column(t, "train.lr"), [.text("0.001"), .text("5e-05"), .text("0.002")])
        XCTAssertEqual(column(t, "lora.targets"), [.text("[q, v]"), .text("[q, v]"), .text("[q, v, k]")])
        XCTAssertEqual(column(t, "notes.label"), [.text("plain"), .text("with, comma and \"quotes\""), .text("two\nlines")])
        XCTAssertEqual(t.notes, ["stage keys or output hashes differ between the revisions (not shown; --keys adds them)"])

        let withKeys = try table(includeRunIdentities: true)
        XCTAssertEqual(Array(withKeys.columns.map(\.name).dropFirst(2 + rouge.count)),
                       ["lora.targets", "notes.label", "train.lr", "scored.train-lora.key", "train-lora.key",
                        "train-lora.outputs.data/adapter/adapter_model.safetensors"])
        XCTAssertEqual(column(withKeys, "train-lora.key"), (0..<3).map { RougeSweep.Cell.text("key-\($0)") })
        XCTAssertEqual(withKeys.notes, [])

        let text = t.render(format: .table)
        XCTAssertTrue(text.hasPrefix("ROUGE F1 (mean) at 3 revisions\n\nrevision "), text)
        XCTAssertTrue(text.contains("   run 1   "), text)
        XCTAssertTrue(text.contains(Figures.value(sweep.lora(1, .rougeL))), text)
        XCTAssertTrue(t.render(format: .markdown).contains("| revision | subject | base rouge1 | lora rouge1 |"))
    }

    func testSortByROUGEIsHighestFirstAndByAParameterNumericAscending() throws {
        let t = try table()
        // LoRA gets worse from run to run; given in another order, the rows come back best first.
        XCTAssertGreaterThan(sweep.lora(0, .rouge1), sweep.lora(1, .rouge1))
        XCTAssertGreaterThan(sweep.lora(1, .rouge1), sweep.lora(2, .rouge1))
        let shuffled = try RougeSweep.across([1, 2, 0].map { sweep.commits[$0] }, in: sweep.repo)
        let byLoRA = try shuffled.sorted(by: "lora rouge1")
        XCTAssertEqual(column(byLoRA, "revision"), (0..<3).map(sweep.label))
        XCTAssertTrue(byLoRA.render(format: .table).hasPrefix("ROUGE F1 (mean) at 3 revisions, sorted by \"lora rouge1\", highest first"))
        // 5e-05 < 0.001 < 0.002 as numbers (as text "0.001" < "0.002" < "5e-05")
        XCTAssertEqual(column(try t.sorted(by: "train.lr"), "train.lr"), [.text("5e-05"), .text("0.001"), .text("0.002")])
        // text ascending; a row without a value last, ties in the given order
        XCTAssertEqual(column(try t.sorted(by: "notes.label"), "notes.label"),
                       [.text("plain"), .text("two\nlines"), .text("with, comma and \"quotes\"")])
        // as text: "[q, v, k]" before "[q, v]"; ties in the given order
        XCTAssertEqual(column(try t.sorted(by: "lora.targets"), "revision"), [2, 0, 1].map(sweep.label))
        // a short name: the end of one column's name after a dot or a space
        XCTAssertEqual(column(try t.sorted(by: "lr"), "train.lr"), [.text("5e-05"), .text("0.001"), .text("0.002")])
        XCTAssertEqual(try t.sorted(by: "label").sortedBy, "notes.label")
    }

    func testUnknownSortColumnIsAUsageErrorListingTheColumns() throws {
        let t = try table()
        do {
            _ = try t.sorted(by: "rouge9")
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .usage)
            XCTAssertTrue(error.description.hasPrefix("--sort-by: no column \"rouge9\"; the columns are \"revision\", \"subject\", \"base rouge1\", "),
                          error.description)
            XCTAssertTrue(error.description.hasSuffix("\"notes.label\", \"train.lr\""), error.description)
        }
        do {
            _ = try t.sorted(by: "rouge1")
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .usage)
            XCTAssertEqual(error.description, "--sort-by: \"rouge1\" could mean \"base rouge1\", \"lora rouge1\"; give the whole name")
        }
    }

    func testCSVIsRFC4180() throws {
        let t = try table()
        let csv = t.render(format: .csv)
        XCTAssertTrue(csv.hasSuffix("\r\n"))
        XCTAssertTrue(csv.hasPrefix("revision,subject,base rouge1,lora rouge1,"), csv)
        XCTAssertTrue(csv.contains(",\"with, comma and \"\"quotes\"\"\","), csv)
        XCTAssertTrue(csv.contains(",\"two\nlines\","), csv)
        // Read back field by field, every cell is what the table holds (means with all their digits).
        let records = Self.parseCSV(csv)
        XCTAssertEqual(records.first, t.columns.map(\.name))
        XCTAssertEqual(Array(records.dropFirst()), t.rows.map { $0.map(RougeSweep.csvText) })
        XCTAssertEqual(Double(records[1][3]), sweep.lora(0, .rouge1))
    }

    func testJSONIsStableWithSortedKeys() throws {
        let t = try table().sorted(by: "train.lr")
        let text = t.render(format: .json)
        XCTAssertEqual(text, try table().sorted(by: "train.lr").render(format: .json))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(json.keys.sorted(), ["columns", "notes", "parameter_sources", "rows", "sort_by"])
        XCTAssertEqual(json["columns"] as? [String], t.columns.map(\.name))
        XCTAssertEqual(json["sort_by"] as? String, "train.lr")
        // train.lr as the lock records what the run used; the others no stage records
        XCTAssertEqual(json["parameter_sources"] as? [String: String],
                       ["lora.targets": "pipeline.yaml", "notes.label": "pipeline.yaml", "train.lr": "pipeline.lock"])
        let rows = try XCTUnwrap(json["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0]["train.lr"] as? String, "5e-05")
        XCTAssertEqual(rows[1]["lora rouge1"] as? Double, sweep.lora(0, .rouge1))
        XCTAssertEqual(rows[2]["lora.targets"] as? String, "[q, v, k]")
        XCTAssertEqual(rows[1]["subject"] as? String, "run 0")
        // keys in sorted order in the text itself
        let keys = ["\"base rouge1\"", "\"lora rouge1\"", "\"lora.targets\"", "\"revision\"", "\"train.lr\""]
        let positions = keys.map { text.range(of: $0, range: text.range(of: "\"rows\"")!.upperBound..<text.endIndex)!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
        XCTAssertTrue(text.contains("\"sort_by\" : \"train.lr\""))
        XCTAssertTrue(try table().render(format: .json).contains("\"sort_by\" : null"))
    }

    func testWhichRevisionsASweepShows() {
        XCTAssertEqual(RougeSweep.revisions([], workingTree: false), ["HEAD", nil])
        XCTAssertEqual(RougeSweep.revisions(["a"], workingTree: false), ["a", nil])
        XCTAssertEqual(RougeSweep.revisions(["a", "b"], workingTree: false), ["a", "b"])
        XCTAssertEqual(RougeSweep.revisions(["a", "b", "c"], workingTree: true), ["a", "b", "c", nil])
        XCTAssertEqual(RougeSweep.revisions(["a"], workingTree: true), ["a", nil])
    }

    func testWorkingTreeRowAndNotes() throws {
        // the working tree scored fewer examples with other scorer settings
        try sweep.fixture.write("metrics/rouge.json", String(decoding: RougeReport.encodeMetrics(try RougeEvaluation.evaluate(
            systems: [SystemInput(name: "base", predictions: sweep.fixture.directory.writeRows(
                "in/b.jsonl", field: "prediction", Array(SampleData.base.prefix(3))))],
            references: sweep.fixture.directory.writeRows("in/r.jsonl", field: "summary", Array(SampleData.references.prefix(3))),
            inputs: [:], bootstrap: BootstrapConfiguration(resamples: 10)).metrics), as: UTF8.self))
        let t = try RougeSweep.across(RougeSweep.revisions(Array(sweep.commits.prefix(2)), workingTree: true), in: sweep.repo)
        XCTAssertEqual(column(t, "revision").last, .text("working tree"))
        XCTAssertEqual(column(t, "lora rouge1").last, .absent)
        XCTAssertEqual(t.notes.dropFirst(), ["the scorer settings differ between the revisions (see rouge.json \"scorer\")",
                                             "the revisions scored different numbers of examples (n = 6, 6, 3)"])
        XCTAssertTrue(t.render(format: .table).contains("\nnote: the revisions scored different numbers"))
    }

    /// RFC 4180 read back: quoted fields may hold commas, CR, LF and doubled quotes.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append(chars.removeFirst()) } else { quoted = false; afterQuote = true }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" && field.isEmpty && !afterQuote {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""; afterQuote = false
            } else if c == "\r" && chars.first == "\n" {
                chars.removeFirst()
                record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            } else {
                field.unicodeScalars.append(c)
            }
        }
        return records
    }
}
