import XCTest
@testable import SafeTensors

final class SafeTensorsRoundTripTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/T5")

    func testWriterRoundTripsEveryDType() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "quote\"key": "line\nbreak"])
        try writer.add("weights", shape: [2, 3], floats: [1, 2, 3, 4, 5, -6.5])
        try writer.add("half", shape: [3], floats: [0.5, -2, 1024], as: .f16)
        try writer.add("brain", shape: [3], floats: [0.5, -2, 3.0e38], as: .bf16)
        try writer.add("ids", shape: [2], int32s: [7, -1])
        try writer.add("long", shape: [1, 2], int64s: [1 << 40, -3])
        try writer.add("nothing", shape: [0, 5], floats: [])
        let image = writer.serialized()
        let file = try SafeTensorsFile(bytes: image)
        XCTAssertEqual(file.names, ["brain", "half", "ids", "long", "nothing", "weights"])
        XCTAssertEqual(file.metadata, ["format": "pt", "quote\"key": "line\nbreak"])
        XCTAssertEqual(try file.floats("weights"), [1, 2, 3, 4, 5, -6.5])
        XCTAssertEqual(try file.info("weights").shape, [2, 3])
        XCTAssertEqual(try file.floats("half"), [0.5, -2, 1024])
        XCTAssertEqual(try file.floats("brain")[0...1], [0.5, -2])
        XCTAssertEqual(try file.int32s("ids"), [7, -1])
        XCTAssertEqual(try file.int64s("long"), [1 << 40, -3])
        XCTAssertEqual(try file.floats("nothing"), [])
        XCTAssertEqual(try file.float32View("weights").map(Array.init), [1, 2, 3, 4, 5, -6.5])
        XCTAssertThrowsError(try file.int32s("long")) // 2^40 does not fit in Int32
        XCTAssertThrowsError(try file.floats("ids"))
        XCTAssertThrowsError(try file.info("missing"))
    }

    func testWriterOutputIsDeterministicAndAligned() throws {
        func build(order: [String]) throws -> [UInt8] {
            var writer = SafeTensorsWriter(metadata: ["b": "2", "a": "1"])
            for name in order { try writer.add(name, shape: [1], floats: [Float(name.count)]) }
            return writer.serialized()
        }
        let first = try build(order: ["x", "yy", "a.b"])
        XCTAssertEqual(first, try build(order: ["a.b", "x", "yy"]))
        let headerLength = first[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: first[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"a.b\":"), header)
    }

    func testReadsFileWrittenByPythonSafetensors() throws {
        let path = Self.fixtures.appendingPathComponent("python_written.safetensors").path
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "fixture"])
        XCTAssertEqual(try file.floats("f32"), [1.0, -2.5, 3.25, 0.1, 65504.0, -1e-5])
        XCTAssertEqual(try file.floats("f16"), [1.0, -2.5, 3.25, 0.0999755859375, 65504.0, -1.0013580322265625e-05])
        XCTAssertEqual(try file.floats("bf16"), [1.0, -2.5, 3.25, 0.10009765625, 65536.0, -1.0013580322265625e-05])
        XCTAssertEqual(try file.int32s("i32"), [1, -2, 2147483647])
        XCTAssertEqual(try file.int64s("i64"), [5, -6])
        XCTAssertEqual(try file.info("i64").shape, [2, 1])
        XCTAssertEqual(try file.info("empty").shape, [0, 4])
    }

    func testHalfConversionsRoundToNearestEven() {
        XCTAssertEqual(floatToBF16(1.0), 0x3F80)
        XCTAssertEqual(bf16ToFloat(floatToBF16(0.1)), 0.10009765625)
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (1.0)
        XCTAssertEqual(floatToBF16(1.00390625), 0x3F80)
        XCTAssertEqual(floatToF16(1.0), 0x3C00)
        XCTAssertEqual(floatToF16(65504), 0x7BFF)
        XCTAssertEqual(floatToF16(1e6), 0x7C00)
        XCTAssertEqual(f16ToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        for value: Float in [0, -0.5, 3.140625, 1e-6, -60000] {
            XCTAssertEqual(f16ToFloat(floatToF16(value)), value, accuracy: abs(value) * 1e-3 + 1e-7)
        }
        XCTAssertTrue(bf16ToFloat(floatToBF16(.nan)).isNaN)
        XCTAssertTrue(f16ToFloat(floatToF16(.nan)).isNaN)
    }
}
