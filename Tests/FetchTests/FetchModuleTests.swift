import XCTest
@testable import Fetch

final class FetchModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
