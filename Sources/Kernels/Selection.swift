// argmax and top-k over a row of scores (first index wins ties, like torch.argmax on CPU).

public enum Selection {
    @inline(__always)
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        var bestValue = x[0]
        for i in 1..<max(count, 1) where x[i] > bestValue {
            bestValue = x[i]
            best = i
        }
        return best
    }

    /// The k largest (value, index) pairs, largest first; ties keep the lower index first.
    public static func topK(_ x: UnsafePointer<Float>, count: Int, k: Int) -> [(value: Float, index: Int)] {
        let k = min(k, count)
        var heap: [(value: Float, index: Int)] = []
        heap.reserveCapacity(k + 1)
        func better(_ a: (value: Float, index: Int), _ b: (value: Float, index: Int)) -> Bool {
            a.value > b.value || (a.value == b.value && a.index < b.index)
        }
        for i in 0..<count {
            let candidate = (value: x[i], index: i)
            if heap.count == k {
                guard let worst = heap.last, better(candidate, worst) else { continue }
                heap.removeLast()
            }
            // insertion into a small sorted array: k is the beam width times two
            var position = heap.count
            while position > 0 && better(candidate, heap[position - 1]) { position -= 1 }
            heap.insert(candidate, at: position)
        }
        return heap
    }
}
