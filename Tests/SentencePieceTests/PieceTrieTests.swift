import XCTest
@testable import SentencePiece

final class PieceTrieTests: XCTestCase {
    func testEveryPieceOfT5IsFoundUnderItsOwnId() throws {
        let sp = try Fixtures.processor("t5.model")
        var checked = 0
        for id in 0..<Int32(sp.vocabularySize) {
            let piece = try XCTUnwrap(sp.idToPiece(id))
            XCTAssertEqual(sp.pieceToId(piece), id, "piece \(piece)")
            checked += 1
        }
        XCTAssertEqual(checked, 32_000)
    }

    func testLongestPrefixAndSkippedPieces() throws {
        let trie = try PieceTrie([
            (Array("a".utf8), 0, -1, false), (Array("ab".utf8), 1, -2, false),
            (Array("abcd".utf8), 2, -3, true), (Array("\u{2581}x".utf8), 3, -4, false),
        ])
        let text = Array("abcde".utf8)
        let longest = text.withUnsafeBufferPointer { trie.longestPrefixLength($0, 0, $0.count) }
        XCTAssertEqual(longest, 4)
        XCTAssertEqual(trie.exactMatch(Array("abcd".utf8)), 2)
        XCTAssertNil(trie.exactMatch(Array("abc".utf8)))
        XCTAssertNil(trie.exactMatch([]))
        let a = trie.edge(PieceTrie.root, UInt8(ascii: "a"))
        XCTAssertEqual(a.id, 0)
        XCTAssertEqual(a.score, -1)
        XCTAssertEqual(trie.edge(a.child, UInt8(ascii: "z")).child, -1)
        XCTAssertEqual(trie.edge(PieceTrie.root, 0).child, -1)
    }

    func testPieceWithNulByteIsRefused() {
        XCTAssertThrowsError(try PieceTrie([(Array("a\u{0}b".utf8), 0, 0, false)]))
    }
}
