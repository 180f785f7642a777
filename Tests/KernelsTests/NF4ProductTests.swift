import XCTest
@testable import Kernels

/// The products with an NF4 weight against the same products with its dequantized bf16 values (what they must
/// be, tile by tile); the input gradient as the forward product's adjoint, exactly what a finite-difference check
/// of a linear map tests, on bf16-exact inputs where the rounding on the way in changes nothing.
final class NF4ProductTests: XCTestCase {
    override func tearDown() { BF16GEMM.use(BF16GEMM.detectedImplementation) }

    func randomTensor(rows: Int, cols: Int, seed: UInt64) -> NF4Tensor {
        var random = SplitMix64(seed: seed)
        let values = (0..<(rows * cols)).map { _ in Float(Int(random.next() >> 40) - (1 << 23)) * 0x1p-23 * 0.05 }
        return values.withUnsafeBufferPointer { NF4Tensor(quantizing: $0.baseAddress!, rows: rows, cols: cols)! }
    }

    func bf16Exact(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in BFloat16.rounded(Float(Int(random.next() >> 40) - (1 << 23)) * 0x1p-23) }
    }

    /// One tile (768 × 96) and three (2,100 × 1,024 = 2.15M values: tiles of 2,048 rows and the rest).
    func testForwardAndBackwardEqualTheProductsWithTheDequantizedWeight() {
        for implementation in BF16GEMM.runnableImplementations {
            BF16GEMM.use(implementation)
            for (rows, cols, m) in [(768, 96, 5), (96, 768, 33), (2_100, 1_024, 3)] {
                let w = randomTensor(rows: rows, cols: cols, seed: UInt64(rows))
                var dense = [UInt16](repeating: 0, count: rows * cols)
                dense.withUnsafeMutableBufferPointer { w.dequantize(0..<(rows * cols), into: $0.baseAddress!) }
                let x = bf16Exact(m * cols, seed: 1), dy = bf16Exact(m * rows, seed: 2)
                var y = [Float](repeating: 0.5, count: m * rows), reference = y
                NF4Product.forward(x, weight: w, &y, m: m, accumulate: true, scale: 2)
                BF16GEMM.matmul(x, lda: cols, dense, ldb: cols, &reference, ldc: rows, m: m, k: cols, n: rows, transposeB: true,
                                alpha: 2, accumulate: true)
                if rows * cols <= NF4Product.tileValues {
                    XCTAssertEqual(y, reference, "one tile is one product: \(rows)×\(cols)")
                } else {
                    for i in y.indices { XCTAssertEqual(y[i], reference[i], accuracy: 1e-4 * max(1, abs(reference[i]))) }
                }
                var dx = [Float](repeating: 0, count: m * cols), dxReference = dx
                NF4Product.backwardInput(dy, weight: w, &dx, m: m, accumulate: false)
                BF16GEMM.matmul(dy, lda: rows, dense, ldb: cols, &dxReference, ldc: cols, m: m, k: rows, n: cols, transposeB: false)
                for i in dx.indices { XCTAssertEqual(dx[i], dxReference[i], accuracy: 1e-4 * max(1, abs(dxReference[i]))) }

                // the adjoint identity <dy, W x> = <Wᵀ dy, x>: the input gradient is the forward map's
                var forward = [Float](repeating: 0, count: m * rows)
                NF4Product.forward(x, weight: w, &forward, m: m)
                let lhs = zip(dy, forward).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let rhs = zip(dx, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "\(rows)×\(cols)")
            }
        }
    }

    func testStoredPartsThatDoNotFitAreRefused() {
        let w = randomTensor(rows: 64, cols: 128, seed: 3)
        guard case .nested(let codes, let nested, let offset) = w.scales else { return XCTFail("double quantization is the default") }
        XCTAssertNoThrow(try NF4Tensor(rows: 64, cols: 128, blocksize: 64, packed: w.packed, scales: w.scales))
        let cases: [(Int, Int, Int, [UInt8], NF4Tensor.Scales, String)] = [
            (64, 128, 64, Array(w.packed.dropLast()), w.scales, "bytes of codes"),
            (64, 128, 48, w.packed, w.scales, "blocksize"),
            (64, 128, 64, w.packed, .nested(codes: codes + [0], nestedAbsmax: nested, offset: offset), "absmax codes"),
            (64, 128, 64, w.packed, .nested(codes: codes, nestedAbsmax: nested + [1], offset: offset), "nested absmax"),
            (64, 128, 64, w.packed, .nested(codes: codes, nestedAbsmax: nested, offset: .nan), "not finite"),
            (64, 128, 64, w.packed, .plain([Float](repeating: 1, count: 127)), "absmax values"),
            (0, 128, 64, [], .plain([]), "shape"),
        ]
        for (rows, cols, blocksize, packed, scales, message) in cases {
            XCTAssertThrowsError(try NF4Tensor(rows: rows, cols: cols, blocksize: blocksize, packed: packed, scales: scales)) {
                XCTAssertTrue("\($0)".contains(message), "\($0)")
            }
        }
        XCTAssertNil([Float](repeating: .nan, count: 64).withUnsafeBufferPointer { NF4Tensor(quantizing: $0.baseAddress!, rows: 1, cols: 64) })
    }

    /// A double-quantized tensor holds about 4.13 bits a value (4 + 8/64 + 32/(64·256)); without, 4.5.
    func testBytesPerValue() {
        let w = randomTensor(rows: 2048, cols: 768, seed: 4)
        let bits: Double = Double(w.byteCount * 8) / Double(w.count)
        let expected: Double = 4 + 8.0 / 64 + 32.0 / (64 * 256)
        XCTAssertEqual(bits, expected, accuracy: 1e-3)
    }
}

import CNF4

/// The vector lookup (AVX2 where this CPU has it) against the scalar loop: every start parity and length 0-40.
final class NF4LookupTests: XCTestCase {
    func testVectorLookupEqualsTheScalarLoop() {
        var random = SplitMix64(seed: 12)
        let packed = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let table = (0..<16).map { Float($0) * 0.25 - 1.5 }
        for first in stride(from: 0, to: 24, by: 2) {
            for count in 0...40 {
                var vector = [Float](repeating: .nan, count: count + 1), scalar = vector
                nf4_lookup_f32(packed, Int64(first), Int64(count), table, &vector)
                nf4_lookup_scalar_f32(packed, Int64(first), Int64(count), table, &scalar)
                XCTAssertEqual(vector.map(\.bitPattern), scalar.map(\.bitPattern), "first \(first), count \(count)")
                for k in 0..<count {
                    let byte = packed[(first + k) / 2]
                    XCTAssertEqual(scalar[k], table[Int(k & 1 == 0 ? byte >> 4 : byte & 15)])
                }
            }
        }
        print("nf4 lookup: \(nf4_lookup_is_vector() == 1 ? "AVX2" : "scalar") on this CPU")
    }
}
