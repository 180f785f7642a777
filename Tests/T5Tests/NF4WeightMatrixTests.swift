import Kernels
import XCTest
@testable import T5

/// An NF4 matrix multiplies exactly as the bf16 matrix of its dequantized values: decoding's row pairs (each pair
/// dequantized just before its product, blocks that straddle rows and rows that start on a low nibble included) and many rows (NF4Product),
/// bit for bit, at every row count the engines use.
final class NF4WeightMatrixTests: XCTestCase {
    func testProductsEqualThoseOfTheDequantizedBF16Matrix() throws {
        var random = SplitMix64(seed: 9)
        for (rows, cols) in [(96, 128), (75, 80), (33, 81), (1, 64)] {
            let values = (0..<(rows * cols)).map { _ in Float(Int(random.next() >> 40) - (1 << 23)) * 0x1p-26 }
            let nf4 = try WeightMatrix(rows: rows, cols: cols, values: values).quantized(NF4Settings())
            XCTAssertEqual(nf4.precision, .nf4)
            let bf16 = WeightMatrix(rows: rows, cols: cols, values: nf4.floats()).converted(to: .bf16)
            XCTAssertEqual(bf16.floats(), nf4.floats(), "the dequantized values are bf16 values")
            for m in [1, 3, 4, 8, 9, 16, 17, 40] {
                let x = (0..<(m * cols)).map { _ in Float(Int(random.next() >> 40) - (1 << 23)) * 0x1p-23 }
                var a = [Float](repeating: 0.25, count: m * rows), b = a
                nf4.apply(x, m: m, into: &a, accumulate: true, scale: 0.5)
                bf16.apply(x, m: m, into: &b, accumulate: true, scale: 0.5)
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(rows)×\(cols), \(m) rows")
            }
        }
    }
}
