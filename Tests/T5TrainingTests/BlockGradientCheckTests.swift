// Finite-difference checks of the composite block backwards on their own (attention with bias, masks and
// dropout; feed-forward gated and ReLU with dropout; LoRA linears), loss = Σ output ⊙ R. Directional
// derivatives along random unit directions, ε = 1e-2, tolerance 1e-2 relative + 1e-4 absolute.
// (The kernels they call — GEMM, softmax, RMSNorm, gelu_new — have their own FD tests in KernelsTests.)
import Kernels
import PEFT
import TestSupport
import XCTest
@testable import T5Training

final class BlockGradientCheckTests: XCTestCase {
    let config = TinyModel.config(gated: true, tied: false)

    func random(_ count: Int, _ rng: inout SplitMix64, scale: Float = 1) -> [Float] { (0..<count).map { _ in scale * rng.normal() } }

    func context() -> StepContext {
        let c = StepContext()
        c.training = true
        c.dropoutRate = 0.2
        c.seed = 1
        c.step = 3
        return c
    }

    /// Compares g·u with (f(x+εu) − f(x−εu))/2ε for `x` changed in place through `set`.
    func directional(_ name: String, analytic g: [Float], base x: [Float], rng: inout SplitMix64,
                     set: ([Float]) -> Void, loss: () -> Double) {
        var u = random(x.count, &rng)
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / norm }
        let epsilon: Float = 1e-2
        set(zip(x, u).map { $0 + epsilon * $1 })
        let plus = loss()
        set(zip(x, u).map { $0 - epsilon * $1 })
        let minus = loss()
        set(x)
        let numeric = (plus - minus) / Double(2 * epsilon)
        let analytic = zip(g, u).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(analytic, numeric, accuracy: 1e-2 * abs(numeric) + 1e-4, name)
    }

    func weights(lora targets: [String]) throws -> TrainingWeights {
        let w = try TrainingWeights(config: config, file: try TinyModel.file(config, seed: 21), trainAll: false)
        let adapted = w.attachAdapters(.lora(LoRAConfig(rank: 2, alpha: 4, dropout: 0.25, targetModules: targets)))
        var rng = SplitMix64(seed: 5)
        for layer in adapted {
            for p in layer.adapter!.parameters { for i in 0..<p.count { p.value[i] = 0.4 * rng.normal() } }
        }
        return w
    }

    func checkAttention(cross: Bool) throws {
        let w = try weights(lora: ["q", "v", "o"])
        let p = cross ? w.decoder[0].crossAttention : w.decoder[0].selfAttention
        // Two sequences of different lengths: 3 and 2 queries; cross-attention keys 5 and 2.
        let queryOffsets = [0, 3, 5], keyOffsets = cross ? [0, 5, 7] : queryOffsets
        let spans = AttentionSpans(queryOffsets: queryOffsets, keyOffsets: keyOffsets, heads: config.numHeads,
                                   headDim: config.dKV, causal: !cross)
        let qRows = 5, kRows = keyOffsets.last!, biasLength = 3
        let d = config.dModel
        var rng = SplitMix64(seed: cross ? 1 : 2)
        var query = random(qRows * d, &rng), keyValue = cross ? random(kRows * d, &rng) : []
        var bias = cross ? [] : random(config.numHeads * (2 * biasLength - 1), &rng)
        let r = random(qRows * d, &rng)
        let ctx = context()
        func run(backward: Bool) -> (Double, [Float], [Float], [Float]) {
            let arena = Arena()
            let out = arena.floats(qRows * d)
            return query.withUnsafeBufferPointer { q in
                keyValue.withUnsafeBufferPointer { kv in
                    bias.withUnsafeBufferPointer { bp in
                        let kvPointer = cross ? kv.baseAddress! : q.baseAddress!
                        let acts = AttentionBlock.forward(p, queryInput: q.baseAddress!, keyValueInput: kvPointer, spans: spans,
                                                          bias: cross ? nil : DistanceBias(table: bp.baseAddress!, length: biasLength),
                                                          probsSite: 77,
                                                          output: out, arena: arena, context: ctx)
                        var loss = 0.0
                        for i in 0..<(qRows * d) { loss += Double(out[i]) * Double(r[i]) }
                        guard backward else { return (loss, [], [], []) }
                        var dq = [Float](repeating: 0, count: query.count), dkv = [Float](repeating: 0, count: keyValue.count)
                        var dBias = [Float](repeating: 0, count: bias.count)
                        dq.withUnsafeMutableBufferPointer { dqp in
                            dkv.withUnsafeMutableBufferPointer { dkvp in
                                dBias.withUnsafeMutableBufferPointer { dbp in
                                    AttentionBlock.backward(p, acts, spans: spans, dOutput: r, dQueryInput: dqp.baseAddress!,
                                                            dKeyValueInput: cross ? dkvp.baseAddress! : dqp.baseAddress!,
                                                            biasGradient: cross ? nil : dbp.baseAddress!, biasLength: biasLength,
                                                            probsSite: 77,
                                                            context: ctx)
                                }
                            }
                        }
                        return (loss, dq, dkv, dBias)
                    }
                }
            }
        }
        let (_, dq, dkv, dBias) = run(backward: true)
        directional("query input", analytic: dq, base: query, rng: &rng, set: { query = $0 }, loss: { run(backward: false).0 })
        if cross {
            directional("key/value input", analytic: dkv, base: keyValue, rng: &rng, set: { keyValue = $0 },
                        loss: { run(backward: false).0 })
        } else {
            directional("position bias", analytic: dBias, base: bias, rng: &rng, set: { bias = $0 },
                        loss: { run(backward: false).0 })
        }
    }

    func testRaggedCausalSelfAttentionWithBiasDropoutAndLoRA() throws { try checkAttention(cross: false) }

    func testRaggedCrossAttentionWithDropoutAndLoRA() throws { try checkAttention(cross: true) }

    func checkFeedForward(gated: Bool) throws {
        let cfg = TinyModel.config(gated: gated, tied: false)
        let w = try TrainingWeights(config: cfg, file: try TinyModel.file(cfg, seed: 22), trainAll: true)
        let p = w.encoder[1].feedForward
        let rows = 5, d = cfg.dModel
        var rng = SplitMix64(seed: gated ? 3 : 4)
        var input = random(rows * d, &rng)
        let r = random(rows * d, &rng)
        let ctx = context()
        func run(backward: Bool) -> (Double, [Float]) {
            let arena = Arena()
            let out = arena.floats(rows * d)
            return input.withUnsafeBufferPointer { x in
                let acts = FeedForwardBlock.forward(p, input: x.baseAddress!, rows: rows, hiddenSite: 5, output: out,
                                                    arena: arena, context: ctx)
                var loss = 0.0
                for i in 0..<(rows * d) { loss += Double(out[i]) * Double(r[i]) }
                guard backward else { return (loss, []) }
                var dx = [Float](repeating: 0, count: input.count)
                dx.withUnsafeMutableBufferPointer {
                    FeedForwardBlock.backward(p, acts, rows: rows, dOutput: r, dInput: $0.baseAddress!, hiddenSite: 5, context: ctx)
                }
                return (loss, dx)
            }
        }
        for layer in [p.wi, p.wo] + (p.wiGate.map { [$0] } ?? []) { layer.weight.zeroGradient() }
        let (_, dx) = run(backward: true)
        directional("feed-forward input", analytic: dx, base: input, rng: &rng, set: { input = $0 },
                    loss: { run(backward: false).0 })
        let wo = p.wo.weight, original = wo.values, gradient = wo.gradients!
        directional("wo weight", analytic: gradient, base: original, rng: &rng,
                    set: { v in for i in 0..<v.count { wo.value[i] = v[i] } }, loss: { run(backward: false).0 })
    }

    func testGatedGeluFeedForwardWithDropout() throws { try checkFeedForward(gated: true) }

    func testReLUFeedForwardWithDropout() throws { try checkFeedForward(gated: false) }
}
