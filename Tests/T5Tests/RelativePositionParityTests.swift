import XCTest
import Kernels
@testable import T5

/// Buckets for every relative position in −300…300 against transformers' _relative_position_bucket.
final class RelativePositionParityTests: XCTestCase {
    func testBucketsMatchTransformersForBothDirectionsAndTwoConfigurations() {
        let buckets = Fixtures.section("buckets")
        XCTAssertEqual(buckets.count, 4)
        for (key, value) in buckets {
            let parts = key.split(separator: "_")
            let bidirectional = parts[0] == "bi", count = Int(parts[1])!, distance = Int(parts[2])!
            let expected = (value as! [NSNumber]).map(\.intValue)
            let got = (-300...300).map {
                RelativePosition.bucket(relative: $0, bidirectional: bidirectional, numBuckets: count, maxDistance: distance)
            }
            XCTAssertEqual(got, expected, key)
        }
    }
}
