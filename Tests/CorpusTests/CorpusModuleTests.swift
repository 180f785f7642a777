import XCTest
@testable import Corpus

final class CorpusModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
