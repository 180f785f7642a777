import XCTest
@testable import SentencePiece

final class SentencePieceModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
