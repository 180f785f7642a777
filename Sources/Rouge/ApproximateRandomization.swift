/// The paired approximate randomization test (Riezler and Maxwell 2005; sacrebleu's `paired_ar`): under the null
/// hypothesis the two systems are exchangeable on each example, so swapping an example's two scores at random should
/// give differences of means as large as the observed one about as often as the p-value says.
/// Coins come from NumPy's legacy MT19937 (`RandomState(seed).randint(0, 2, size=n)` per trial), so
/// scripts/fixtures/rouge_randomization_fixture.py reproduces every count.
public enum ApproximateRandomization {
    public struct Result: Codable, Equatable, Sendable {
        /// Trials whose |mean permuted difference| reached the observed one.
        public let atLeastAsExtreme: Int
        public let trials: Int
        /// (count + 1) / (trials + 1): never 0, as a finite sample cannot show it.
        public var pValue: Double { Double(atLeastAsExtreme + 1) / Double(trials + 1) }
    }

    /// Candidate against baseline, aligned by index. Means are summed left to right.
    public static func test(baseline: [Double], candidate: [Double], trials: Int, seed: UInt32) -> Result {
        precondition(baseline.count == candidate.count, "the two systems must be aligned")
        let n = baseline.count
        guard n > 0, trials > 0 else { return Result(atLeastAsExtreme: 0, trials: max(trials, 0)) }
        let d = zip(baseline, candidate).map { $1 - $0 }
        var observedSum = 0.0
        for x in d { observedSum += x }
        let observed = abs(observedSum / Double(n))
        var generator = MersenneTwister(seed: seed)
        var count = 0
        for _ in 0..<trials {
            var sum = 0.0
            for x in d { sum += generator.nextIndex(range: 1, mask: 1) == 1 ? -x : x }
            if abs(sum / Double(n)) >= observed { count += 1 }
        }
        return Result(atLeastAsExtreme: count, trials: trials)
    }
}
