import XCTest
import Kernels
import SafeTensors
@testable import T5

/// Bad model directories give one clear line naming the file.
final class LoadingErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("t5-load-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("tiny/\(name)"), toPath: directory.appendingPathComponent(name).path)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func assertLoadFails(containing fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try T5Model.load(directory: directory.path), file: file, line: line) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains(fragment), text, file: file, line: line)
            XCTAssertTrue(text.contains(self.directory.path), text, file: file, line: line)
            XCTAssertFalse(text.contains("\n"), file: file, line: line)
        }
    }

    private func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
        let url = directory.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    func testTruncatedWeightsAreRejected() throws {
        let url = directory.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 1000).write(to: url)
        assertLoadFails(containing: "model.safetensors: tensor")
    }

    func testConfigOfAnotherArchitectureIsRejected() throws {
        try editConfig { $0["model_type"] = "bart"; $0["architectures"] = ["BartForConditionalGeneration"] }
        assertLoadFails(containing: "config.json: model_type 'bart' is not a T5")
    }

    func testUnsupportedFeedForwardIsRejected() throws {
        try editConfig { $0["feed_forward_proj"] = "gated-silu" }
        assertLoadFails(containing: "feed_forward_proj 'gated-silu'")
    }

    func testShapeMismatchBetweenConfigAndWeightsIsRejected() throws {
        try editConfig { $0["d_ff"] = 256 }
        assertLoadFails(containing: "expected a float tensor [256, 64]")
    }

    func testMissingTensorIsRejected() throws {
        let original = try SafeTensorsFile(path: Fixtures.path("tiny/model.safetensors"))
        var writer = SafeTensorsWriter()
        for name in original.names where name != "decoder.final_layer_norm.weight" {
            try writer.add(name, shape: try original.info(name).shape, floats: try original.floats(name))
        }
        try writer.write(to: directory.appendingPathComponent("model.safetensors").path)
        assertLoadFails(containing: "missing tensor 'decoder.final_layer_norm.weight'")
    }

    /// The decoding-time bf16 kernel (few rows) and the many-row product (oneDNN or the tiled emulation) agree with
    /// fp32 on the same rounded values: the weights and the input rounded to bf16 (the bf16 mode's numerics).
    func testBF16ProductsMatchWidenedWeights() {
        var state: UInt64 = 42
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) / Float(1 << 24) - 0.5 }
        let rows = 37, cols = 70
        let bf16 = WeightMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in next() }).converted(to: .bf16)
        let widened = bf16.converted(to: .f32)
        for m in [1, 5, 40] {
            let x = (0..<(m * cols)).map { _ in next() }
            var expected = [Float](repeating: 0, count: m * rows), got = [Float](repeating: 1, count: m * rows)
            widened.apply(x.map { bf16ToFloat(floatToBF16($0)) }, m: m, into: &expected)
            bf16.apply(x, m: m, into: &got)
            for i in expected.indices { XCTAssertEqual(got[i], expected[i], accuracy: 1e-4, "m \(m) index \(i)") }
        }
        // the fp32 streaming kernel against sgemm, including accumulation and scaling
        let w = widened.floats()
        for m in [1, 3, 4, 8, 9, 16] {
            let x = (0..<(m * cols)).map { _ in next() }
            var expected = [Float](repeating: 0.5, count: m * rows), got = expected
            Linear.forward(x, weight: w, &expected, rows: m, inFeatures: cols, outFeatures: rows, accumulate: true, scale: 2)
            WeightKernels.smallBatchProduct(x, m: m, weight: w, rows: rows, cols: cols, y: &got, accumulate: true, scale: 2)
            for i in expected.indices { XCTAssertEqual(got[i], expected[i], accuracy: 1e-4, "fp32 m \(m) index \(i)") }
        }
        // the streaming kernels' promises: bf16 rows give the bits of their fp32 widening, and a row of
        // x gets the same bits whatever the rows around it (a sequence's logits do not depend on its batch)
        guard case .bf16(let bitsPointer) = bf16.storage else { return XCTFail("not bf16") }
        let bits = Array(UnsafeBufferPointer(start: bitsPointer, count: rows * cols))
        // (13 rows: a block of eight, one of four, one single row)
        let x = (0..<(13 * cols)).map { _ in next() }
        var fromF32 = [Float](repeating: 0, count: 13 * rows), fromBF16 = fromF32
        WeightKernels.smallBatchProduct(x, m: 13, weight: w, rows: rows, cols: cols, y: &fromF32, accumulate: false, scale: 1)
        WeightKernels.smallBatchProduct(x, m: 13, weight: bits, rows: rows, cols: cols, y: &fromBF16, accumulate: false, scale: 1)
        XCTAssertEqual(fromF32.map(\.bitPattern), fromBF16.map(\.bitPattern))
        for row in [0, 5, 8, 11, 12] {
            var alone = [Float](repeating: 0, count: rows)
            WeightKernels.smallBatchProduct(Array(x[(row * cols)..<((row + 1) * cols)]), m: 1, weight: w, rows: rows, cols: cols,
                                            y: &alone, accumulate: false, scale: 1)
            XCTAssertEqual(alone.map(\.bitPattern), fromF32[(row * rows)..<((row + 1) * rows)].map(\.bitPattern), "row \(row)")
        }
    }
}
