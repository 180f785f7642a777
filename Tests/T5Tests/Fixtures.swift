import Foundation
import SafeTensors
@testable import T5

/// The committed golden data (see Tests/Fixtures/T5/README.md).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/T5")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    nonisolated(unsafe) static let golden: [String: Any] = {
        let data = FileManager.default.contents(atPath: path("golden.json"))!
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    nonisolated(unsafe) static let tensors: SafeTensorsFile = try! SafeTensorsFile(path: path("golden_tensors.safetensors"))

    static func ids(_ value: Any?) -> [[Int32]] {
        (value as! [[NSNumber]]).map { $0.map { Int32(truncating: $0) } }
    }

    static func section(_ name: String) -> [String: Any] { golden[name] as! [String: Any] }
}

/// Largest absolute difference, with the index where it occurs.
func maxAbsDifference(_ a: UnsafePointer<Float>, _ b: [Float]) -> (value: Float, index: Int) {
    var worst: Float = 0, at = 0
    for i in b.indices where abs(a[i] - b[i]) > worst || (a[i] - b[i]).isNaN {
        worst = (a[i] - b[i]).isNaN ? .infinity : abs(a[i] - b[i])
        at = i
    }
    return (worst, at)
}
