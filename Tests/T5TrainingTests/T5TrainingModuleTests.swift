import XCTest
@testable import T5Training

final class T5TrainingModuleTests: XCTestCase {
    func testModuleBuilds() {}
}
