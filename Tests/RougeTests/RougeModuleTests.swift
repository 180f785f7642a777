import XCTest
@testable import Rouge

final class RougeModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
