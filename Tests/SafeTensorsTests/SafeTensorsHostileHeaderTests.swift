import XCTest
import Failures
@testable import SafeTensors

/// Corrupt or hostile files must give one error line, never a crash or a huge allocation.
final class SafeTensorsHostileHeaderTests: XCTestCase {
    private func image(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + json + data
    }

    private func assertRejected(_ bytes: [UInt8], mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(bytes: bytes, label: "bad.safetensors"), file: file, line: line) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("bad.safetensors: "), text, file: file, line: line)
            XCTAssertTrue(text.contains(fragment), "\(text) lacks '\(fragment)'", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), file: file, line: line)
        }
    }

    func testRejectsTruncatedAndOversizedHeaders() {
        assertRejected([1, 2, 3], mentions: "shorter than")
        assertRejected(image(header: "{}", declaredLength: 1 << 62), mentions: "exceeds the file size")
        assertRejected(image(header: "{\"a\":1}", declaredLength: 4), mentions: "not well-formed")
        assertRejected(image(header: "[1, 2]"), mentions: "start with '{'")
        assertRejected(image(header: "{\"a\": "), mentions: "not well-formed")
    }

    func testRejectsBadEntries() {
        let four = [UInt8](repeating: 0, count: 4)
        assertRejected(image(header: #"{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), mentions: "unsupported dtype F8")
        assertRejected(image(header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: four), mentions: "no dtype")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four), mentions: "bad shape")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: four), mentions: "bad shape")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four), mentions: "bad shape")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four), mentions: "needs 8 bytes")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, data: four), mentions: "outside")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four), mentions: "outside")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: four), mentions: "data_offsets")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#, data: four), mentions: "overflows")
        assertRejected(image(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[2,6]}}"#, data: four + four), mentions: "overlap")
        assertRejected(image(header: #"{"__metadata__":{"k":1}}"#), mentions: "not a string")
        assertRejected(image(header: #"{"a":7}"#), mentions: "not an object")
    }

    func testRandomCorruptionNeverCrashes() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add("w", shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        try writer.add("ids", shape: [2], int64s: [1, 2])
        let original = writer.serialized()
        var generator = SystemRandomNumberGenerator()
        var rejected = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            if let file = try? SafeTensorsFile(bytes: bytes) {
                for name in file.names { _ = try? file.floats(name); _ = try? file.int64s(name) }
            } else {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }

    func testMissingFileIsOneLine() {
        XCTAssertThrowsError(try SafeTensorsFile(path: "/nonexistent/model.safetensors")) { error in
            XCTAssertEqual(String(describing: error).components(separatedBy: "\n").count, 1)
            XCTAssertEqual(String(describing: error), "/nonexistent/model.safetensors: no such file")
            XCTAssertEqual((error as? PipelineError)?.status, .missingInput)
        }
    }
}
