import XCTest

/// Central finite differences of `loss` with respect to `values`, compared with `analytic`.
func assertGradientMatches(_ values: [Float], analytic: [Float], step: Float = 1e-2, tolerance: Float = 2e-2,
                           _ label: String, file: StaticString = #filePath, line: UInt = #line,
                           loss: ([Float]) -> Double) {
    XCTAssertEqual(values.count, analytic.count, label, file: file, line: line)
    var worst: Float = 0
    for i in values.indices {
        var plus = values, minus = values
        plus[i] += step
        minus[i] -= step
        let numeric = Float((loss(plus) - loss(minus)) / Double(2 * step))
        let error = abs(numeric - analytic[i]) / max(1, abs(numeric))
        worst = max(worst, error)
    }
    XCTAssertLessThan(worst, tolerance, "\(label): worst relative gradient error \(worst)", file: file, line: line)
    XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 0, "\(label): gradient is identically zero", file: file, line: line)
}

/// Weighted sum Σ wᵢ·outᵢ: a scalar loss whose gradient w.r.t. out is w.
func weightedSum(_ out: [Float], _ weights: [Float]) -> Double {
    zip(out, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}
