import XCTest
@testable import Kernels

final class LossAndSelectionTests: XCTestCase {
    func testArgmaxAndTopKPreferLowerIndexOnTies() {
        let x: [Float] = [1, 5, 3, 5, -2, 4]
        XCTAssertEqual(Selection.argmax(x, count: x.count), 1)
        let top = Selection.topK(x, count: x.count, k: 3)
        XCTAssertEqual(top.map(\.index), [1, 3, 5])
        XCTAssertEqual(top.map(\.value), [5, 5, 4])
        XCTAssertEqual(Selection.topK(x, count: x.count, k: 10).count, 6)
    }
}
