import XCTest
@testable import SafeTensors

final class SafeTensorsModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
