import XCTest
@testable import Kernels

final class KernelsModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
