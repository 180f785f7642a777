// T5 multi-head attention for training on an unpadded batch: the projections (with LoRA) run on the
// concatenated rows, then each (sequence, head) attends over that sequence's own keys only:
// scores = q·kᵀ + position bias (no 1/√d), softmax (causal in the decoder), dropout on the
// probabilities, context = probs·v, output projection. Forward saves the pre-dropout probabilities;
// backward regenerates the dropout mask. (sequence, head) tasks run in parallel, costliest first.
import Kernels

/// Where each sequence's queries and keys sit in the concatenated rows.
struct AttentionSpans {
    let heads, headDim: Int
    /// Sequence b's queries are rows queryOffsets[b] ..< queryOffsets[b + 1]; its keys likewise.
    let queryOffsets, keyOffsets: [Int]
    /// Query i sees keys 0...i (decoder self-attention); otherwise every key of its sequence.
    let causal: Bool
    /// Keys in front of every sequence's own (prefix tuning's, at positions 0..<keyPrefix): a query then sits at
    /// position keyPrefix + i and, causal, sees keys 0...keyPrefix + i. 0 otherwise.
    let keyPrefix: Int
    /// Sequence b's probabilities [heads, queries, keys] start at probsOffsets[b] (batch + 1 entries).
    let probsOffsets: [Int]
    /// Task b·heads + h for every (sequence, head), largest score matrix first, ties by task number.
    let order: [Int]

    init(queryOffsets: [Int], keyOffsets: [Int], heads: Int, headDim: Int, causal: Bool, keyPrefix: Int = 0) {
        precondition(queryOffsets.count == keyOffsets.count && queryOffsets.count >= 2)
        self.keyPrefix = keyPrefix
        self.queryOffsets = queryOffsets
        self.keyOffsets = keyOffsets
        self.heads = heads
        self.headDim = headDim
        self.causal = causal
        let batch = queryOffsets.count - 1
        let sizes = (0..<batch).map { (b: Int) -> Int in
            let queries: Int = queryOffsets[b + 1] - queryOffsets[b], keys: Int = keyOffsets[b + 1] - keyOffsets[b]
            return queries * keys
        }
        probsOffsets = sizes.reduce(into: [0]) { $0.append($0.last! + heads * $1) }
        order = Parallel.costliestFirst(batch * heads) { sizes[$0 / heads] }
    }

    var batch: Int { queryOffsets.count - 1 }
    var inner: Int { heads * headDim }
    var queryRows: Int { queryOffsets.last! }
    var keyRows: Int { keyOffsets.last! }
    var totalProbs: Int { probsOffsets.last! }
    func queries(_ b: Int) -> Int { queryOffsets[b + 1] - queryOffsets[b] }
    func keys(_ b: Int) -> Int { keyOffsets[b + 1] - keyOffsets[b] }
    var largestProbsPerHead: Int { (0..<batch).map { queries($0) * keys($0) }.max()! }
    var longestSequence: Int { (0..<batch).map { max(queries($0), keys($0)) }.max()! }

    /// One task's sequence, head and where its [queries, keys] probabilities start.
    func task(_ task: Int) -> (b: Int, h: Int, queries: Int, keys: Int, region: Int) {
        let b = task / heads, h = task % heads
        let q = queries(b), k = keys(b)
        return (b, h, q, k, probsOffsets[b] + h * q * k)
    }
}

/// The position bias by relative distance for sequences up to `length` tokens
/// (`RelativePosition.biasByDistance`), or none (cross-attention).
struct DistanceBias {
    let table: UnsafePointer<Float>
    let length: Int
    /// Head `head`'s rows for queries at positions `queryOffset`, `queryOffset` + 1, … (keys from 0).
    func rows(head: Int, queryOffset: Int = 0) -> BiasRows {
        BiasRows(byDistance: table, head: head, length: length).shifted(by: queryOffset)
    }
}

/// Prefix tuning's keys and values in front of one decoder layer's self-attention: `rows` rows of d_model, row r
/// at `keys + r·stride` (a column block of the prefix table), and where their gradients go (nil when frozen).
struct PrefixRows {
    let keys, values: UnsafePointer<Float>
    let keyGradient, valueGradient: UnsafeMutablePointer<Float>?
    let rows, stride: Int
}

struct AttentionActivations {
    let queryInput: UnsafePointer<Float>
    let keyValueInput: UnsafePointer<Float>
    let q, k, v, probs, context: UnsafeMutablePointer<Float>
    let savedQ, savedK, savedV, savedO: LinearLayer.Saved
}

enum AttentionBlock {
    /// output[query rows, d] = attention over `queryInput` (and `keyValueInput`, the same pointer for self-attention).
    static func forward(_ p: TrainingWeights.Attention, queryInput: UnsafePointer<Float>, keyValueInput: UnsafePointer<Float>,
                        spans: AttentionSpans, bias: DistanceBias?, probsSite: UInt64, prefix: PrefixRows? = nil,
                        output: UnsafeMutablePointer<Float>, arena: Arena, context: StepContext) -> AttentionActivations {
        context.scratch.reset()
        let qRows = spans.queryRows, kRows = spans.keyRows, inner = spans.inner, dh = spans.headDim
        let q = arena.floats(qRows * inner), k = arena.floats(kRows * inner), v = arena.floats(kRows * inner)
        let savedQ = p.q.forward(queryInput, rows: qRows, into: q, arena: arena, context: context)
        let savedK: LinearLayer.Saved, savedV: LinearLayer.Saved
        if let prefix {
            // each sequence's keys: the prefix's rows, then its own tokens' projections
            let tokenRows = kRows - spans.batch * prefix.rows
            let kTokens = arena.floats(tokenRows * inner), vTokens = arena.floats(tokenRows * inner)
            savedK = p.k.forward(keyValueInput, rows: tokenRows, into: kTokens, arena: arena, context: context)
            savedV = p.v.forward(keyValueInput, rows: tokenRows, into: vTokens, arena: arena, context: context)
            for b in 0..<spans.batch {
                let start = spans.keyOffsets[b], own = spans.keys(b) - prefix.rows, from = start - b * prefix.rows
                for r in 0..<prefix.rows {
                    (k + (start + r) * inner).update(from: prefix.keys + r * prefix.stride, count: inner)
                    (v + (start + r) * inner).update(from: prefix.values + r * prefix.stride, count: inner)
                }
                (k + (start + prefix.rows) * inner).update(from: kTokens + from * inner, count: own * inner)
                (v + (start + prefix.rows) * inner).update(from: vTokens + from * inner, count: own * inner)
            }
        } else {
            savedK = p.k.forward(keyValueInput, rows: kRows, into: k, arena: arena, context: context)
            savedV = p.v.forward(keyValueInput, rows: kRows, into: v, arena: arena, context: context)
        }
        let probs = arena.floats(spans.totalProbs)
        let ctx = arena.floats(qRows * inner)
        let dropout = context.dropout(site: probsSite)
        let largest = spans.largestProbsPerHead
        let workerScratch = context.scratch.floats(Parallel.threads * largest)
        context.attention += ContinuousClock().measure {
            Parallel.forEachClaimedTask(spans.order) { task, worker in
                let (b, h, nq, nk, region) = spans.task(task)
                let scores = probs + region
                let qh = q + spans.queryOffsets[b] * inner + h * dh
                let kh = k + spans.keyOffsets[b] * inner + h * dh
                let vh = v + spans.keyOffsets[b] * inner + h * dh
                GEMM.matmul(qh, lda: inner, kh, ldb: inner, scores, ldc: nk, m: nq, k: dh, n: nk, transposeB: true)
                Softmax.forward(scores, rows: nq, cols: nk, bias: bias?.rows(head: h, queryOffset: spans.keyPrefix)) {
                    spans.causal ? min($0 + 1 + spans.keyPrefix, nk) : nk
                }
                var weights = UnsafePointer(scores)
                if let dropout {
                    let dropped = workerScratch + worker * largest
                    dropout.apply(scores, into: dropped, count: nq * nk, offset: region, parallel: false)
                    weights = UnsafePointer(dropped)
                }
                GEMM.matmul(weights, lda: nk, vh, ldb: inner, ctx + spans.queryOffsets[b] * inner + h * dh, ldc: inner,
                            m: nq, k: nk, n: dh)
            }
        }
        let savedO = p.o.forward(ctx, rows: qRows, into: output, arena: arena, context: context)
        return AttentionActivations(queryInput: queryInput, keyValueInput: keyValueInput, q: q, k: k, v: v, probs: probs,
                                    context: ctx, savedQ: savedQ, savedK: savedK, savedV: savedV, savedO: savedO)
    }

    /// Accumulates parameter gradients, dQueryInput += ∂/∂queryInput and dKeyValueInput += ∂/∂keyValueInput
    /// (either may be nil when not needed; the same buffer for self-attention), and, when the position bias
    /// is trained, biasGradient[h·(2L − 1) + (k − q) + L − 1] += Σ ∂loss/∂scores over every sequence's
    /// (q, k) at that distance (L = `biasLength`), summed in sequence order.
    static func backward(_ p: TrainingWeights.Attention, _ acts: AttentionActivations, spans: AttentionSpans,
                         dOutput: UnsafePointer<Float>, dQueryInput: UnsafeMutablePointer<Float>?,
                         dKeyValueInput: UnsafeMutablePointer<Float>?, biasGradient: UnsafeMutablePointer<Float>?,
                         biasLength: Int, probsSite: UInt64, prefix: PrefixRows? = nil, context: StepContext) {
        context.scratch.reset()
        let qRows = spans.queryRows, kRows = spans.keyRows, inner = spans.inner, dh = spans.headDim
        let dctx = context.scratch.floats(qRows * inner)
        p.o.backward(dOutput, input: acts.context, saved: acts.savedO, rows: qRows, dx: dctx, accumulateInput: false,
                     context: context)
        let dq = context.scratch.floats(qRows * inner)
        let dk = context.scratch.floats(kRows * inner), dv = context.scratch.floats(kRows * inner)
        let dropout = context.dropout(site: probsSite)
        let largest = spans.largestProbsPerHead
        let workerScratch = context.scratch.floats(2 * Parallel.threads * largest)
        let dScores = biasGradient.map { _ in context.scratch.floats(spans.totalProbs) }
        context.attention += ContinuousClock().measure {
            Parallel.forEachClaimedTask(spans.order) { task, worker in
                let (b, h, nq, nk, region) = spans.task(task)
                let probs = UnsafePointer(acts.probs + region)
                let offsetQ = spans.queryOffsets[b] * inner + h * dh, offsetK = spans.keyOffsets[b] * inner + h * dh
                let dP = workerScratch + (2 * worker) * largest
                var weights = probs
                if let dropout {
                    let dropped = workerScratch + (2 * worker + 1) * largest
                    dropout.apply(probs, into: dropped, count: nq * nk, offset: region, parallel: false)
                    weights = UnsafePointer(dropped)
                }
                // dWeights = dctx·vᵀ ; dv = weightsᵀ·dctx
                GEMM.matmul(dctx + offsetQ, lda: inner, acts.v + offsetK, ldb: inner, dP, ldc: nk, m: nq, k: dh, n: nk,
                            transposeB: true)
                GEMM.matmul(weights, lda: nk, dctx + offsetQ, ldb: inner, dv + offsetK, ldc: inner, m: nk, k: nq, n: dh,
                            transposeA: true)
                dropout?.apply(dP, count: nq * nk, offset: region, parallel: false)
                Softmax.backward(dP, probs: probs, rows: nq, cols: nk)
                if let dScores { (dScores + region).update(from: dP, count: nq * nk) }
                // dq = dS·k ; dk = dSᵀ·q
                GEMM.matmul(dP, lda: nk, acts.k + offsetK, ldb: inner, dq + offsetQ, ldc: inner, m: nq, k: nk, n: dh)
                GEMM.matmul(dP, lda: nk, acts.q + offsetQ, ldb: inner, dk + offsetK, ldc: inner, m: nk, k: nq, n: dh,
                            transposeA: true)
            }
            if let biasGradient, let dScores {
                let width = 2 * biasLength - 1
                for b in 0..<spans.batch {
                    for h in 0..<spans.heads {
                        let (_, _, nq, nk, region) = spans.task(b * spans.heads + h)
                        let byDistance = biasGradient + h * width + biasLength - 1 - spans.keyPrefix
                        for i in 0..<nq {
                            let row = dScores + region + i * nk
                            for j in 0..<nk { byDistance[j - i] += row[j] }
                        }
                    }
                }
            }
        }
        p.q.backward(dq, input: acts.queryInput, saved: acts.savedQ, rows: qRows, dx: dQueryInput, accumulateInput: true,
                     context: context)
        var (dkTokens, dvTokens, tokenRows) = (dk, dv, kRows)
        if let prefix {
            // the prefix rows' gradients go to the prefix (summed over sequences); the tokens' to the projections
            tokenRows = kRows - spans.batch * prefix.rows
            dkTokens = context.scratch.floats(tokenRows * inner)
            dvTokens = context.scratch.floats(tokenRows * inner)
            for b in 0..<spans.batch {
                let start = spans.keyOffsets[b], own = spans.keys(b) - prefix.rows, to = start - b * prefix.rows
                for r in 0..<prefix.rows {
                    if let g = prefix.keyGradient { Elementwise.add(dk + (start + r) * inner, into: g + r * prefix.stride, count: inner) }
                    if let g = prefix.valueGradient { Elementwise.add(dv + (start + r) * inner, into: g + r * prefix.stride, count: inner) }
                }
                (dkTokens + to * inner).update(from: dk + (start + prefix.rows) * inner, count: own * inner)
                (dvTokens + to * inner).update(from: dv + (start + prefix.rows) * inner, count: own * inner)
            }
        }
        p.k.backward(dkTokens, input: acts.keyValueInput, saved: acts.savedK, rows: tokenRows, dx: dKeyValueInput,
                     accumulateInput: true, context: context)
        p.v.backward(dvTokens, input: acts.keyValueInput, saved: acts.savedV, rows: tokenRows, dx: dKeyValueInput,
                     accumulateInput: true, context: context)
    }
}
