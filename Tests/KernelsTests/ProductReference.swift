import XCTest

/// A product checked against sums in Double: the worst ratio, over C, of |c − exact| to fp32 accumulation's
/// bound k·2⁻²³·(|alpha|·Σ|aᵢbᵢ| + |exact|) (plus one rounding of the output), where exact = alpha·A·op(B)
/// (+ initial when `accumulate`). A is [m, k] with leading dimension `lda`; B is [k, n] or, with
/// `transposeB`, stored [n, k]; C and `initial` have leading dimension `ldc`, and the columns past n must
/// be untouched. Results ≤ 1 are within the bound (BF16GEMMTests, F32GEMMTests).
func worstAccumulationError(a: [Double], lda: Int, b: [Double], transposeB: Bool, c: [Float], initial: [Float], ldc: Int,
                            m: Int, k: Int, n: Int, alpha: Float, accumulate: Bool,
                            file: StaticString = #filePath, line: UInt = #line) -> Double {
    let (bRow, bColumn) = transposeB ? (1, k) : (n, 1)  // B[t, j] at t·bRow + j·bColumn
    var worst = 0.0
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0, magnitude = 0.0
                    for t in 0..<k {
                        let product = a[i * lda + t] * b[t * bRow + j * bColumn]
                        sum += product
                        magnitude += abs(product)
                    }
                    let expected = Double(alpha) * sum + (accumulate ? Double(initial[i * ldc + j]) : 0)
                    let bound = Double(k + 2) * 0x1p-23 * (Double(alpha) * magnitude + abs(expected)) + 1e-30
                    worst = max(worst, abs(Double(c[i * ldc + j]) - expected) / bound)
                }
                for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], initial[i * ldc + j], "padding written", file: file, line: line) }
            }
        }
    }
    return worst
}
