import XCTest
@testable import LoRA

final class LoRAModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
