import Crypto
import Foundation
import JSON
import SafeTensors
import XCTest
@testable import Kernels

/// NF4 quantization against bitsandbytes 0.50.2 on a CPU, byte for byte (Tests/Fixtures/Quantization,
/// scripts/fixtures/nf4_quantization_fixture.py): the 16 levels, the 8-bit dynamic map, packed codes, absmax
/// (plain and double-quantized: codes, nested absmax, offset) and the dequantized fp32 and bf16 values, on edge
/// cases (values on the midpoints and next to them, all-zero and subnormal blocks, odd counts, a remainder block,
/// fewer than 8 and more than 256 blocks, bf16 inputs) and on large matrices this test regenerates itself (only
/// their SHA-256 is committed), one of them with more than 32,768 blocks.
final class NF4QuantizationParityTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Quantization")

    func fixture() throws -> (SafeTensorsFile, JSONValue) {
        (try SafeTensorsFile(path: Self.folder.appendingPathComponent("nf4_cases.safetensors").path),
         try JSONValue.parse(Data(contentsOf: Self.folder.appendingPathComponent("nf4_cases.json"))))
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    func testLevelsAndDynamicMapAreBitsandbytes() throws {
        let (file, _) = try fixture()
        XCTAssertEqual(bits(NF4.levels), bits(try file.floats("nf4_levels")))
        XCTAssertEqual(bits(DynamicMap8Bit.values), bits(try file.floats("dynamic_map")))
    }

    func testEdgeCasesQuantizeAndDequantizeAsBitsandbytes() throws {
        let (file, json) = try fixture()
        let cases = try XCTUnwrap(json["cases"]?.arrayValue)
        XCTAssertEqual(cases.count, 10)
        for entry in cases {
            let name = try XCTUnwrap(entry["name"]?.stringValue)
            let shape = try XCTUnwrap(entry["shape"]?.arrayValue).compactMap(\.intValue)
            let (rows, cols) = shape.count == 2 ? (shape[0], shape[1]) : (1, shape[0])
            let input = try file.floats("\(name).input")
            for double in [false, true] {
                let t = try XCTUnwrap(input.withUnsafeBufferPointer {
                    NF4Tensor(quantizing: $0.baseAddress!, rows: rows, cols: cols, blocksize: 64, doubleQuant: double)
                }, name)
                XCTAssertEqual(t.packed, try file.uint8s(double ? "\(name).dq.packed" : "\(name).packed"), "\(name) codes")
                switch t.scales {
                case .plain(let absmax):
                    XCTAssertEqual(bits(absmax), bits(try file.floats("\(name).absmax")), "\(name) absmax")
                    XCTAssertEqual(bits(t.floats()), bits(try file.floats("\(name).f32")), "\(name) dequantized")
                case .nested(let codes, let nested, let offset):
                    XCTAssertEqual(offset.bitPattern, try file.floats("\(name).dq.offset")[0].bitPattern, "\(name) offset")
                    XCTAssertEqual(codes, try file.uint8s("\(name).dq.codes"), "\(name) absmax codes")
                    XCTAssertEqual(bits(nested), bits(try file.floats("\(name).dq.nested_absmax")), "\(name) nested absmax")
                    XCTAssertEqual(bits(t.floats()), bits(try file.floats("\(name).dq.f32")), "\(name) dequantized")
                    var bf16 = [UInt16](repeating: 0, count: t.count)
                    bf16.withUnsafeMutableBufferPointer { t.dequantize(0..<t.count, into: $0.baseAddress!) }
                    let expected = try file.rawBytes("\(name).dq.bf16")
                    XCTAssertEqual(bf16.withUnsafeBytes { Array($0) }, Array(expected), "\(name) dequantized to bf16")
                }
            }
        }
    }

    /// The generator nf4_quantization_fixture.py describes: SplitMix64, 24 bits, s = (u - 2²³)·2⁻²³, v = s·s·s·0.125.
    static func generated(rows: Int, cols: Int, seed: UInt64, bf16: Bool) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<(rows * cols)).map { _ in
            let s = Float(Int(random.next() >> 40) - (1 << 23)) * 0x1p-23
            let v = s * s * s * 0.125
            return bf16 ? BFloat16.rounded(v) : v
        }
    }

    func sha256<T>(_ values: [T]) -> String {
        values.withUnsafeBytes { SHA256.hash(data: $0).map { String(format: "%02x", $0) }.joined() }
    }

    func testLargeMatricesMatchBitsandbytesHashes() throws {
        let json = try JSONValue.parse(Data(contentsOf: Self.folder.appendingPathComponent("nf4_generated.json")))
        let entries = try XCTUnwrap(json["entries"]?.arrayValue)
        XCTAssertEqual(entries.count, 5)
        for entry in entries {
            let shape = try XCTUnwrap(entry["shape"]?.arrayValue).compactMap(\.intValue)
            let seed = UInt64(try XCTUnwrap(entry["seed"]?.intValue)), bf16 = entry["bf16"]?.boolValue == true
            let label = "\(shape[0])×\(shape[1]) seed \(seed)"
            let hashes = try XCTUnwrap(entry["sha256"])
            let input = Self.generated(rows: shape[0], cols: shape[1], seed: seed, bf16: bf16)
            XCTAssertEqual(sha256(input), hashes["input"]?.stringValue, "\(label): the generator")
            let t = try XCTUnwrap(input.withUnsafeBufferPointer { NF4Tensor(quantizing: $0.baseAddress!, rows: shape[0], cols: shape[1]) })
            guard case .nested(let codes, let nested, let offset) = t.scales else { return XCTFail("double quantization") }
            XCTAssertEqual(String(format: "%08x", offset.bitPattern), entry["offset_bits"]?.stringValue, "\(label): offset")
            XCTAssertEqual(sha256(t.packed), hashes["packed"]?.stringValue, "\(label): codes")
            XCTAssertEqual(sha256(codes), hashes["codes"]?.stringValue, "\(label): absmax codes")
            XCTAssertEqual(sha256(nested), hashes["nested_absmax"]?.stringValue, "\(label): nested absmax")
            XCTAssertEqual(sha256(t.floats()), hashes["dequantized_f32"]?.stringValue, "\(label): dequantized")
            var bits = [UInt16](repeating: 0, count: t.count)
            bits.withUnsafeMutableBufferPointer { t.dequantize(0..<t.count, into: $0.baseAddress!) }
            XCTAssertEqual(sha256(bits), hashes["dequantized_bf16"]?.stringValue, "\(label): dequantized to bf16")
        }
    }

    /// torch's float32 sum (the offset's mean) differs from the correctly rounded sum often enough to matter: the
    /// cascade is checked against sums this test knows, and against a plain left-to-right sum it must not equal.
    func testTorchFloatSumIsTheCascadeNotTheRoundedSum() {
        let ones = [Float](repeating: 1, count: 45_056)
        XCTAssertEqual(ones.withUnsafeBufferPointer(TorchFloatSum.sum), 45_056)
        XCTAssertEqual([Float]([1, 2, 3]).withUnsafeBufferPointer(TorchFloatSum.sum), 6)
        // 2^24 + 1 + 1 + ...: a running sum loses every 1, the cascade keeps them
        let values = [Float(1 << 24)] + [Float](repeating: 1, count: 4095)
        let running = values.reduce(Float(0), +)
        XCTAssertEqual(running, Float(1 << 24))
        XCTAssertGreaterThan(values.withUnsafeBufferPointer(TorchFloatSum.sum), running)
    }
}
