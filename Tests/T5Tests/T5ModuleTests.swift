import XCTest
@testable import T5

final class T5ModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
