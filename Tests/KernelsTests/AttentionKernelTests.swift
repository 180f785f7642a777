import TestSupport
import XCTest
@testable import Kernels

final class AttentionKernelTests: XCTestCase {
    func testSoftmaxMasksPrefixAndBackwardMatchesFiniteDifferences() {
        var scores: [Float] = [1, 2, 3, 100, 0, 0, 0, 0]
        Softmax.forward(&scores, rows: 2, cols: 4) { $0 == 0 ? 3 : 0 }
        let e: [Float] = [exp(-2), exp(-1), 1]
        let total = e.reduce(0, +)
        XCTAssertEqual(scores[0], e[0] / total, accuracy: 1e-6)
        XCTAssertEqual(scores[2], e[2] / total, accuracy: 1e-6)
        XCTAssertEqual(scores[3], 0)
        XCTAssertEqual(Array(scores[4...]), [0.25, 0.25, 0.25, 0.25])

        var random = SplitMix64(seed: 5)
        let x = random.array(10), g = random.array(10)
        func forward(_ x: [Float]) -> [Float] {
            var p = x
            Softmax.forward(&p, rows: 2, cols: 5) { _ in 5 }
            return p
        }
        var d = g
        Softmax.backward(&d, probs: forward(x), rows: 2, cols: 5)
        assertGradientMatches(x, analytic: d, step: 1e-3, "softmax") { weightedSum(forward($0), g) }
    }

    func testSingleQueryRegisterPathIsBitIdenticalToGeneralLoopAndMatchesGEMMPath() {
        var random = SplitMix64(seed: 11)
        for (keys, withBias) in [(1, true), (7, false), (8, true), (37, true), (64, false)] {
            let (dim, ld) = (64, 80)  // rows wider than the head, as inside a cache block
            let q = random.array(dim), k = random.array(keys * ld), v = random.array(keys * ld)
            let bias: [Float]? = withBias ? random.array(keys) : nil
            var fast = [Float](repeating: 0, count: dim), scoresFast = [Float](repeating: 0, count: keys)
            Attention.forwardSingleQuery(q: q, k: k, ldk: ld, v: v, ldv: ld, out: &fast, bias: bias, scores: &scoresFast,
                                         keys: keys, headDim: dim)
            var general = [Float](repeating: .nan, count: dim), scores = [Float](repeating: 0, count: keys)
            Attention.singleQueryScores(q: q, k: k, ldk: ld, bias: bias, scores: &scores, keys: keys, headDim: dim)
            Softmax.forwardRow(&scores, valid: keys)
            Attention.singleQueryValues(v: v, ldv: ld, out: &general, probs: scores, keys: keys, headDim: dim)
            XCTAssertEqual(fast.map(\.bitPattern), general.map(\.bitPattern), "keys \(keys)")
            XCTAssertEqual(scoresFast.map(\.bitPattern), scores.map(\.bitPattern), "keys \(keys)")

            var viaGEMM = [Float](repeating: 0, count: dim), probs = [Float](repeating: 0, count: keys)
            (bias ?? []).withUnsafeBufferPointer { b in
                Attention.forward(q: q, ldq: dim, k: k, ldk: ld, v: v, ldv: ld, out: &viaGEMM, ldo: dim, bias: matrixBias(b, keys: keys), probs: &probs,
                                  queries: 1, keys: keys, headDim: dim, validKeys: { _ in keys })
            }
            for c in 0..<dim { XCTAssertEqual(fast[c], viaGEMM[c], accuracy: 1e-5, "keys \(keys) lane \(c)") }
        }
    }

    func testSingleQueryWithTransposedKeysMatchesGEMMPath() {
        var random = SplitMix64(seed: 12)
        for (keys, dim, withBias) in [(1, 64, false), (13, 64, true), (40, 64, false), (9, 12, true)] {
            let ld = keys + 3  // transposed blocks [dim, ld], as a cache block wider than the keys in use
            let q = random.array(dim), kt = random.array(dim * ld), v = random.array(keys * dim)
            let bias: [Float]? = withBias ? random.array(keys) : nil
            var out = [Float](repeating: .nan, count: dim), scores = [Float](repeating: .nan, count: keys)
            Attention.forwardSingleQuery(q: q, k: kt, ldk: ld, keysTransposed: true, v: v, ldv: dim, out: &out, bias: bias,
                                         scores: &scores, keys: keys, headDim: dim)
            var viaGEMM = [Float](repeating: 0, count: dim), probs = [Float](repeating: 0, count: keys)
            (bias ?? []).withUnsafeBufferPointer { b in
                Attention.forward(q: q, ldq: dim, k: kt, ldk: ld, v: v, ldv: dim, out: &viaGEMM, ldo: dim, bias: matrixBias(b, keys: keys), probs: &probs,
                                  queries: 1, keys: keys, headDim: dim, keysTransposed: true, validKeys: { _ in keys })
            }
            // and the GEMM path with transposed keys against rows: kt's columns as rows
            var rows = [Float](repeating: 0, count: keys * dim)
            for j in 0..<keys { for c in 0..<dim { rows[j * dim + c] = kt[c * ld + j] } }
            var viaRows = [Float](repeating: 0, count: dim)
            (bias ?? []).withUnsafeBufferPointer { b in
                Attention.forward(q: q, ldq: dim, k: rows, ldk: dim, v: v, ldv: dim, out: &viaRows, ldo: dim, bias: matrixBias(b, keys: keys), probs: &probs,
                                  queries: 1, keys: keys, headDim: dim, validKeys: { _ in keys })
            }
            for c in 0..<dim {
                XCTAssertEqual(out[c], viaGEMM[c], accuracy: 1e-5, "keys \(keys) lane \(c)")
                XCTAssertEqual(viaRows[c], viaGEMM[c], accuracy: 1e-5, "keys \(keys) lane \(c)")
            }
            XCTAssertEqual(Double(scores.reduce(0, +)), 1, accuracy: 1e-5)
        }
    }

    func testRelativePositionBucketsMatchTransformers() {
        // transformers T5Attention._relative_position_bucket(torch.tensor(r), bidirectional, 32, 128)
        let bidirectional: [Int: Int] = [-200: 15, -128: 15, -127: 15, -20: 10, -8: 8, -7: 7, 0: 0, 1: 17, 7: 23, 8: 24,
                                         12: 25, 20: 26, 64: 30, 100: 31, 127: 31, 500: 31]
        for (r, b) in bidirectional {
            XCTAssertEqual(RelativePosition.bucket(relative: r, bidirectional: true, numBuckets: 32, maxDistance: 128), b, "r=\(r)")
        }
        let causal: [Int: Int] = [5: 0, 0: 0, -1: 1, -15: 15, -16: 16, -32: 21, -64: 26, -100: 30, -127: 31, -1000: 31]
        for (r, b) in causal {
            XCTAssertEqual(RelativePosition.bucket(relative: r, bidirectional: false, numBuckets: 32, maxDistance: 128), b, "r=\(r)")
        }
    }

    func testRelativePositionBiasLayout() {
        let heads = 2, buckets = 32
        let table = (0..<(buckets * heads)).map(Float.init) // table[b, h] = 2b + h
        var out = [Float](repeating: 0, count: heads * 2 * 3)
        RelativePosition.bias(table: table, heads: heads, queries: 2, keys: 3, queryOffset: 1, bidirectional: false,
                              numBuckets: buckets, maxDistance: 128, into: &out)
        // head 1, query position 2 (row 1), key 0: relative −2 → bucket 2 → 2·2+1
        XCTAssertEqual(out[(1 * 2 + 1) * 3 + 0], 5)
        // head 0, query position 1, key 2: relative +1, causal → bucket 0
        XCTAssertEqual(out[0 * 3 + 2], 0)
    }

    func testBiasByDistanceIsEveryLengthsBiasMatrix() {
        let heads = 3, buckets = 8, longest = 11
        var random = SplitMix64(seed: 13)
        let table = random.array(buckets * heads)
        var byDistance = [Float](repeating: .nan, count: heads * (2 * longest - 1))
        RelativePosition.biasByDistance(table: table, heads: heads, length: longest, bidirectional: true, numBuckets: buckets,
                                        maxDistance: 9, into: &byDistance)
        for length in [1, 4, longest] {
            var matrix = [Float](repeating: .nan, count: heads * length * length)
            RelativePosition.bias(table: table, heads: heads, queries: length, keys: length, bidirectional: true,
                                  numBuckets: buckets, maxDistance: 9, into: &matrix)
            byDistance.withUnsafeBufferPointer { t in
                for h in 0..<heads {
                    let rows = BiasRows(byDistance: t.baseAddress!, head: h, length: longest)
                    for q in 0..<length {
                        for k in 0..<length {
                            XCTAssertEqual(rows.row(q)[k].bitPattern, matrix[(h * length + q) * length + k].bitPattern,
                                           "length \(length) head \(h) q \(q) k \(k)")
                        }
                    }
                }
            }
        }
    }

    func testSoftmaxWithBiasIsSoftmaxOfTheSum() {
        var random = SplitMix64(seed: 14)
        let (rows, cols) = (3, 19)
        let scores = random.array(rows * cols), bias = random.array(rows * cols)
        var fused = scores, summed = zip(scores, bias).map { $0 + $1 }
        bias.withUnsafeBufferPointer { b in
            Softmax.forward(&fused, rows: rows, cols: cols, bias: BiasRows(matrix: b.baseAddress!, keys: cols)) { $0 + 17 }
        }
        Softmax.forward(&summed, rows: rows, cols: cols) { $0 + 17 }
        XCTAssertEqual(fused.map(\.bitPattern), summed.map(\.bitPattern))
    }
}

/// A [queries, keys] bias matrix as BiasRows, or none for an empty buffer.
private func matrixBias(_ b: UnsafeBufferPointer<Float>, keys: Int) -> BiasRows? {
    b.isEmpty ? nil : BiasRows(matrix: b.baseAddress!, keys: keys)
}
