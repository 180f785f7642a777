/// How confidence intervals are resampled. The defaults are rouge_score's
/// `BootstrapAggregator()` (1000 resamples, 95%) with the generator seeded like
/// `np.random.seed(0)`, so the figures match `rouge_ref.py --bootstrap-seed 0`.
import Failures
public struct BootstrapConfiguration: Codable, Equatable, Sendable {
    public var resamples: Int
    public var confidence: Double
    public var seed: UInt32

    public init(resamples: Int = 1000, confidence: Double = 0.95, seed: UInt32 = 0) {
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
    }

    /// Rejects values that would make the percentiles meaningless or the work unbounded.
    public func validated() throws(PipelineError) -> Self {
        guard (1...1_000_000).contains(resamples) else {
            throw PipelineError(.usage, "bootstrap resamples must be in 1...1000000, got \(resamples)")
        }
        guard confidence >= 0, confidence <= 1 else {
            throw PipelineError(.usage, "bootstrap confidence must be in [0, 1], got \(confidence)")
        }
        return self
    }

    /// The percentiles rouge_score reports: low, mid (50) and high, in NumPy's arithmetic.
    var percentiles: [Double] {
        let delta = (1 - confidence) / 2
        return [100 * delta, 100 * 0.5, 100 * (1 - delta)]
    }
}

/// The low / mid / high percentiles of a bootstrap distribution.
public struct Interval: Codable, Equatable, Sendable {
    public var low: Double
    public var mid: Double
    public var high: Double

    public init(low: Double, mid: Double, high: Double) {
        self.low = low
        self.mid = mid
        self.high = high
    }
}

/// Resampling with replacement, as rouge_score's `BootstrapAggregator._bootstrap_resample`.
public enum Bootstrap {
    /// For each resample: `n` indices drawn from `generator`, and the mean over those rows of
    /// each column, summed in draw order and divided by n as NumPy's `mean(axis=0)` does.
    /// All columns share the indices (that is what makes a paired bootstrap paired).
    /// Returns `[column][resample]`.
    public static func resampledMeans(columns: [[Double]], resamples: Int,
                                      generator: inout MersenneTwister) -> [[Double]] {
        let n = columns.first?.count ?? 0
        precondition(columns.allSatisfy { $0.count == n }, "columns must have equal length")
        let width = columns.count
        guard n > 0, n <= 1 << 32, width > 0 else {
            return (0..<width).map { _ in [Double](repeating: 0, count: resamples) }
        }
        // Rows padded to chunks of 8 columns: one drawn index adds a SIMD8 per chunk. Each lane
        // is an ordinary IEEE add in draw order, so the sums equal NumPy's column sums.
        let chunks = (width + 7) / 8
        var rows = [SIMD8<Double>](repeating: .zero, count: n * chunks)
        for c in 0..<width { for i in 0..<n { rows[i * chunks + c / 8][c % 8] = columns[c][i] } }
        let range = UInt32(truncatingIfNeeded: n - 1)
        let mask = MersenneTwister.mask(covering: range)
        var indices = [Int](repeating: 0, count: n)
        var means = [[Double]](repeating: [Double](repeating: 0, count: resamples), count: width)
        let count = Double(n)
        for r in 0..<resamples {
            for k in 0..<n { indices[k] = generator.nextIndex(range: range, mask: mask) * chunks }
            for chunk in 0..<chunks {
                var sum = SIMD8<Double>.zero
                rows.withUnsafeBufferPointer { values in
                    indices.withUnsafeBufferPointer { drawn in
                        for i in drawn { sum += values[i + chunk] }
                    }
                }
                for lane in 0..<min(8, width - chunk * 8) { means[chunk * 8 + lane][r] = sum[lane] / count }
            }
        }
        return means
    }

    /// NumPy's `percentile(values, q)` with the default linear method.
    public static func percentile(sorted values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no values")
        let quantile = q / 100
        let virtualIndex = Double(values.count - 1) * quantile
        if virtualIndex >= Double(values.count - 1) { return values[values.count - 1] }
        if virtualIndex < 0 { return values[0] }
        let previous = virtualIndex.rounded(.down)
        let gamma = virtualIndex - previous
        let a = values[Int(previous)], b = values[Int(previous) + 1]
        // NumPy's _lerp: interpolate from the nearer end.
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    /// Low / mid / high percentiles of a bootstrap distribution.
    public static func interval(of values: [Double], configuration: BootstrapConfiguration) -> Interval {
        let sorted = values.sorted()
        let p = configuration.percentiles
        return Interval(low: percentile(sorted: sorted, p[0]), mid: percentile(sorted: sorted, p[1]),
                        high: percentile(sorted: sorted, p[2]))
    }

    /// The plain mean, summed left to right like Python's `sum(...) / n` in rouge_ref.py.
    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var sum = 0.0
        for v in values { sum += v }
        return sum / Double(values.count)
    }
}
