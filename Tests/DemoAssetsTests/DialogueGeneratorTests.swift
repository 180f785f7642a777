import XCTest
@testable import DemoAssets

final class DialogueGeneratorTests: XCTestCase {
    func testSameSeedSameCorpusOtherSeedOtherCorpus() {
        var a = DialogueGenerator(seed: 7), b = DialogueGenerator(seed: 7), c = DialogueGenerator(seed: 8)
        let x = a.split(50, idBase: 1000), y = b.split(50, idBase: 1000), z = c.split(50, idBase: 1000)
        XCTAssertEqual(x, y)
        XCTAssertNotEqual(x, z)
    }

    func testDialoguesLookLikeSAMSum() {
        var g = DialogueGenerator(seed: 1)
        let d = g.split(500, idBase: 13_800_000)
        XCTAssertEqual(Set(d.map(\.id)).count, 500)
        XCTAssertTrue(d.contains { $0.dialogue.contains("\r\n") })
        XCTAssertTrue(d.contains { $0.dialogue.contains("\n") && !$0.dialogue.contains("\r") })
        for e in d {
            XCTAssertTrue(e.summary.hasSuffix("."), e.summary)
            XCTAssertFalse(e.summary.contains("\n"))
            for line in e.dialogue.split(whereSeparator: \.isNewline) {
                XCTAssertTrue(line.contains(": "), String(line))
            }
        }
        // Varied: many distinct summaries, every scenario present.
        XCTAssertGreaterThan(Set(d.map(\.summary)).count, 450)
        for marker in [" will meet ", " will buy ", " will pick up ", " was in ", " late because ", " invites ", " will lend "] {
            XCTAssertTrue(d.contains { $0.summary.contains(marker) }, marker)
        }
    }
}
