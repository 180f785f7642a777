// T5 multi-head attention for training: projections (with LoRA), scores = q·kᵀ + position bias (no 1/√d),
// masked softmax, dropout on the probabilities, context = probs·v, output projection. Forward saves the
// pre-dropout probabilities; backward regenerates the dropout mask. Heads of all rows run in parallel.
import Kernels

enum AttentionMask {
    /// Keys past each row's valid length are masked (encoder self-attention, cross-attention).
    case keyPrefix([Int])
    /// Query i sees keys 0...i (decoder self-attention).
    case causal

    @inline(__always)
    func validKeys(batch: Int, query: Int, keys: Int) -> Int {
        switch self {
        case .keyPrefix(let lengths): return min(lengths[batch], keys)
        case .causal: return min(query + 1, keys)
        }
    }
}

struct AttentionShape {
    let batch, queries, keys, heads, headDim: Int
    var inner: Int { heads * headDim }
    var probsPerHead: Int { queries * keys }
}

struct AttentionActivations {
    let queryInput: UnsafePointer<Float>
    let keyValueInput: UnsafePointer<Float>
    let q, k, v, probs, context: UnsafeMutablePointer<Float>
    let savedQ, savedK, savedV, savedO: LinearLayer.Saved
}

enum AttentionBlock {
    /// output[B·Tq, d] = attention over `queryInput` (and `keyValueInput`, the same pointer for self-attention).
    static func forward(_ p: AttentionParameters, queryInput: UnsafePointer<Float>, keyValueInput: UnsafePointer<Float>,
                        shape: AttentionShape, bias: UnsafePointer<Float>?, mask: AttentionMask, probsSite: UInt64,
                        output: UnsafeMutablePointer<Float>, arena: Arena, context: StepContext) -> AttentionActivations {
        context.scratch.reset()
        let qRows = shape.batch * shape.queries, kRows = shape.batch * shape.keys, inner = shape.inner
        let q = arena.floats(qRows * inner), k = arena.floats(kRows * inner), v = arena.floats(kRows * inner)
        let savedQ = p.q.forward(queryInput, rows: qRows, into: q, arena: arena, context: context)
        let savedK = p.k.forward(keyValueInput, rows: kRows, into: k, arena: arena, context: context)
        let savedV = p.v.forward(keyValueInput, rows: kRows, into: v, arena: arena, context: context)
        let probs = arena.floats(shape.batch * shape.heads * shape.probsPerHead)
        let ctx = arena.floats(qRows * inner)
        let dropout = context.dropout(site: probsSite)
        let workerScratch = context.scratch.floats(Parallel.threads * shape.probsPerHead)
        Parallel.forEachTask(shape.batch * shape.heads) { task, worker in
            let b = task / shape.heads, h = task % shape.heads
            let region = task * shape.probsPerHead
            let scores = probs + region
            let qh = q + b * shape.queries * inner + h * shape.headDim
            let kh = k + b * shape.keys * inner + h * shape.headDim
            let vh = v + b * shape.keys * inner + h * shape.headDim
            if let bias {
                scores.update(from: bias + h * shape.probsPerHead, count: shape.probsPerHead)
            }
            GEMM.matmul(qh, lda: inner, kh, ldb: inner, scores, ldc: shape.keys, m: shape.queries, k: shape.headDim,
                        n: shape.keys, transposeB: true, beta: bias == nil ? 0 : 1)
            Softmax.forward(scores, rows: shape.queries, cols: shape.keys) {
                mask.validKeys(batch: b, query: $0, keys: shape.keys)
            }
            var weights = UnsafePointer(scores)
            if let dropout {
                let dropped = workerScratch + worker * shape.probsPerHead
                dropout.apply(scores, into: dropped, count: shape.probsPerHead, offset: region, parallel: false)
                weights = UnsafePointer(dropped)
            }
            GEMM.matmul(weights, lda: shape.keys, vh, ldb: inner, ctx + b * shape.queries * inner + h * shape.headDim,
                        ldc: inner, m: shape.queries, k: shape.keys, n: shape.headDim)
        }
        let savedO = p.o.forward(ctx, rows: qRows, into: output, arena: arena, context: context)
        return AttentionActivations(queryInput: queryInput, keyValueInput: keyValueInput, q: q, k: k, v: v, probs: probs,
                                    context: ctx, savedQ: savedQ, savedK: savedK, savedV: savedV, savedO: savedO)
    }

    /// Accumulates parameter gradients, dQueryInput += ∂/∂queryInput and dKeyValueInput += ∂/∂keyValueInput
    /// (either may be nil when not needed; the same buffer for self-attention), and
    /// biasGradient[h, q, k] += Σ_b ∂loss/∂scores when the position bias is trained.
    static func backward(_ p: AttentionParameters, _ acts: AttentionActivations, shape: AttentionShape,
                         dOutput: UnsafePointer<Float>, dQueryInput: UnsafeMutablePointer<Float>?,
                         dKeyValueInput: UnsafeMutablePointer<Float>?, biasGradient: UnsafeMutablePointer<Float>?,
                         probsSite: UInt64, context: StepContext) {
        context.scratch.reset()
        let qRows = shape.batch * shape.queries, kRows = shape.batch * shape.keys, inner = shape.inner
        let dctx = context.scratch.floats(qRows * inner)
        p.o.backward(dOutput, input: acts.context, saved: acts.savedO, rows: qRows, dx: dctx, accumulateInput: false,
                     context: context)
        let dq = context.scratch.floats(qRows * inner)
        let dk = context.scratch.floats(kRows * inner), dv = context.scratch.floats(kRows * inner)
        let dropout = context.dropout(site: probsSite)
        let workers = Parallel.threads
        let workerScratch = context.scratch.floats(2 * workers * shape.probsPerHead)
        let dScores = biasGradient.map { _ in context.scratch.floats(shape.batch * shape.heads * shape.probsPerHead) }
        Parallel.forEachTask(shape.batch * shape.heads) { task, worker in
            let b = task / shape.heads, h = task % shape.heads
            let region = task * shape.probsPerHead
            let probs = UnsafePointer(acts.probs + region)
            let headOffsetQ = b * shape.queries * inner + h * shape.headDim
            let headOffsetK = b * shape.keys * inner + h * shape.headDim
            let dP = workerScratch + (2 * worker) * shape.probsPerHead
            var weights = probs
            if let dropout {
                let dropped = workerScratch + (2 * worker + 1) * shape.probsPerHead
                dropout.apply(probs, into: dropped, count: shape.probsPerHead, offset: region, parallel: false)
                weights = UnsafePointer(dropped)
            }
            // dWeights = dctx·vᵀ ; dv = weightsᵀ·dctx
            GEMM.matmul(dctx + headOffsetQ, lda: inner, acts.v + headOffsetK, ldb: inner, dP, ldc: shape.keys,
                        m: shape.queries, k: shape.headDim, n: shape.keys, transposeB: true)
            GEMM.matmul(weights, lda: shape.keys, dctx + headOffsetQ, ldb: inner, dv + headOffsetK, ldc: inner,
                        m: shape.keys, k: shape.queries, n: shape.headDim, transposeA: true)
            dropout?.apply(dP, count: shape.probsPerHead, offset: region, parallel: false)
            Softmax.backward(dP, probs: probs, rows: shape.queries, cols: shape.keys)
            if let dScores { (dScores + region).update(from: dP, count: shape.probsPerHead) }
            // dq = dS·k ; dk = dSᵀ·q
            GEMM.matmul(dP, lda: shape.keys, acts.k + headOffsetK, ldb: inner, dq + headOffsetQ, ldc: inner,
                        m: shape.queries, k: shape.keys, n: shape.headDim)
            GEMM.matmul(dP, lda: shape.keys, acts.q + headOffsetQ, ldb: inner, dk + headOffsetK, ldc: inner,
                        m: shape.keys, k: shape.queries, n: shape.headDim, transposeA: true)
        }
        if let biasGradient, let dScores {
            for b in 0..<shape.batch {
                Elementwise.add(dScores + b * shape.heads * shape.probsPerHead, into: biasGradient,
                                count: shape.heads * shape.probsPerHead)
            }
        }
        p.q.backward(dq, input: acts.queryInput, saved: acts.savedQ, rows: qRows, dx: dQueryInput, accumulateInput: true,
                     context: context)
        p.k.backward(dk, input: acts.keyValueInput, saved: acts.savedK, rows: kRows, dx: dKeyValueInput,
                     accumulateInput: true, context: context)
        p.v.backward(dv, input: acts.keyValueInput, saved: acts.savedV, rows: kRows, dx: dKeyValueInput,
                     accumulateInput: true, context: context)
    }
}
