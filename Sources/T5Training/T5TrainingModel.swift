// Explicit training forward and backward of a T5 encoder-decoder (llm.c style): the forward saves exactly
// the activations the backward needs, the backward writes gradients of the trainable Parameters only.
// Adapter modes and full fine-tuning run the same code; a frozen weight simply has no gradient buffer, so its
// weight-gradient GEMM never runs and input gradients stop where nothing upstream is trainable.
import Failures
import Foundation
import Kernels
import SafeTensors
import T5

public final class T5TrainingModel: @unchecked Sendable {
    public let config: T5Config
    public let weights: TrainingWeights
    public let mode: TrainingMode
    /// The linears carrying adapters (empty in full mode and for prompt methods), in layer order.
    public let adaptedLayers: [LinearLayer]
    /// A prompt method's rows in front of every source (prompt tuning, P-tuning), or nil.
    public let encoderPrompt: EncoderPrompt?
    /// Prefix tuning's keys and values in front of the decoder's self-attention, or nil.
    public let decoderPrefix: DecoderPrefix?
    /// T5's dropout_rate, applied while training (0 turns it off).
    public var dropoutRate: Float
    /// Hugging Face's `label_smoothing_factor` ε, in training and evaluation losses alike (as the Trainer's
    /// `compute_loss` applies its LabelSmoother to both); 0 = plain cross-entropy.
    public var labelSmoothing: Float = 0
    /// Seed of every dropout mask; with `step` it fixes the masks of a training step.
    public var dropoutSeed: UInt64
    /// Counts training forward passes: advanced by each `forwardBackward` (save it in checkpoints).
    public var step: UInt64 = 0
    /// Worker threads for attention heads and OpenBLAS.
    public let threads: Int

    private let arena = Arena()
    private let context = StepContext()

    /// `basePrecision` bf16: the frozen base weights rounded to bf16 and every product with them in bf16
    /// (TrainingWeights, LinearLayer); LoRA, the optimiser, norms, softmax, residuals and the loss stay fp32.
    /// nf4: the same, with the linears bitsandbytes quantizes in NF4 (`nf4` settings): QLoRA.
    public init(config: T5Config, file: SafeTensorsFile, mode: TrainingMode, dropoutRate: Float = 0.1,
                dropoutSeed: UInt64 = 42, threads: Int = 1, basePrecision: WeightMatrix.Precision = .f32,
                nf4: NF4Settings = NF4Settings()) throws {
        if let method = mode.method {
            do { try method.validate() } catch let e as PipelineError {
                throw PipelineError(e.status, "\(method.peftType) \(e.message)", path: file.file)
            }
        }
        guard dropoutRate >= 0, dropoutRate < 1 else { throw PipelineError.usage("dropout rate must be in [0, 1)", path: file.file) }
        self.config = config
        self.mode = mode
        weights = try TrainingWeights(config: config, file: file, trainAll: mode == .full, precision: basePrecision, nf4: nf4)
        decoderPrefix = try mode.method?.prefix.map { c in
            // PEFT sizes the prefix by the model's num_layers and hands it to the decoder's layers
            guard config.numLayers == config.numDecoderLayers, config.innerDim == config.dModel else {
                throw PipelineError.usage("prefix tuning needs as many decoder as encoder layers and heads × d_kv = d_model, as PEFT "
                                          + "lays the prefix out", path: file.file)
            }
            return DecoderPrefix(config: c.fitted(dModel: config.dModel, heads: config.numHeads, layers: config.numLayers))
        }
        if let method = mode.method, let prompt = method.prompt {
            adaptedLayers = []
            encoderPrompt = Self.makePrompt(method, prompt.fitted(dModel: config.dModel, heads: config.numHeads, layers: config.numLayers))
        } else if decoderPrefix != nil {
            adaptedLayers = []
            encoderPrompt = nil
        } else if let method = mode.method {
            adaptedLayers = weights.attachAdapters(method)
            encoderPrompt = nil
            guard !adaptedLayers.isEmpty else {
                throw PipelineError.usage("\(method.peftType) target modules match no linear layer", path: file.file)
            }
        } else {
            adaptedLayers = []
            encoderPrompt = nil
        }
        self.dropoutRate = dropoutRate
        self.dropoutSeed = dropoutSeed
        self.threads = max(1, threads)
        Parallel.setThreads(self.threads)
    }

    /// What the optimiser updates: each adapter's tensors in layer order (LoRA's A before B), or every base weight.
    public var trainableParameters: [Parameter] {
        switch mode {
        case .adapter: return encoderPrompt?.parameters ?? decoderPrefix?.parameters ?? adaptedLayers.flatMap { $0.adapter!.parameters }
        case .full: return weights.allParameters
        }
    }

    public func zeroGradients() { for p in trainableParameters { p.zeroGradient() } }

    /// Training step's forward + backward: dropout on, gradients ACCUMULATED (call `zeroGradients` first).
    /// The gradient is that of (sum of this batch's token losses) / `labelTokensInStep`: by default this
    /// batch's labelled tokens (the mean); with gradient accumulation, the labelled tokens of all the step's
    /// micro-batches, as Hugging Face ≥ 4.46 normalises (`num_items_in_batch`), so that accumulated
    /// micro-batches give the gradient of the whole batch. Returns this batch's mean token loss; advances `step`.
    @discardableResult
    public func forwardBackward(_ batch: UnpaddedBatch, labelTokensInStep: Int? = nil) throws -> Float {
        try validate(batch)
        context.training = true
        context.dropoutRate = dropoutRate
        context.seed = dropoutSeed
        context.step = step
        context.attention = .zero
        defer { step += 1 }
        let saved = forward(batch)
        backward(batch, saved, labelTokens: labelTokensInStep ?? batch.labelledTokens)
        return saved.loss
    }

    /// Eval-mode loss (no dropout, no gradients).
    public func loss(_ batch: UnpaddedBatch) throws -> Float {
        try validate(batch)
        context.training = false
        context.attention = .zero
        return forward(batch).loss
    }

    /// Seconds the last `forwardBackward` or `loss` spent in the per-head attention products, softmax and
    /// position-bias gradient (not the projections): a benchmark's measure of attention's share of a step.
    public var lastAttentionSeconds: Double {
        let (seconds, attoseconds) = context.attention.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The loss of the forward that `forwardBackward` would run now (same dropout masks), without backward
    /// or advancing `step`: for finite-difference checks.
    func trainingLoss(_ batch: UnpaddedBatch) throws -> Float {
        try validate(batch)
        context.training = true
        context.dropoutRate = dropoutRate
        context.seed = dropoutSeed
        context.step = step
        return forward(batch).loss
    }

    /// Eval-mode logits [Σ target lengths, vocab], sequence after sequence: to compare this engine with the
    /// inference engine (T5Model.logits) on the same weights.
    func logits(_ batch: UnpaddedBatch) throws -> [Float] {
        try validate(batch)
        context.training = false
        context.attention = .zero
        let activations = forward(batch)
        return Array(UnsafeBufferPointer(start: activations.logits, count: batch.labels.count * config.vocabSize))
    }

    private func validate(_ batch: UnpaddedBatch) throws {
        let vocab = Int32(config.vocabSize)
        guard batch.inputIds.allSatisfy({ $0 >= 0 && $0 < vocab }),
              batch.decoderInputIds.allSatisfy({ $0 >= 0 && $0 < vocab }),
              batch.labels.allSatisfy({ $0 == UnpaddedBatch.ignoreIndex || ($0 >= 0 && $0 < vocab) }) else {
            throw PipelineError.badInput("token id outside the model's vocabulary of \(config.vocabSize)", path: "batch")
        }
    }

    // MARK: forward

    struct EncoderLayerActivations {
        let input: UnsafeMutablePointer<Float>
        let rstd1, normed1: UnsafeMutablePointer<Float>
        let attention: AttentionActivations
        let middle: UnsafeMutablePointer<Float>
        let rstd2, normed2: UnsafeMutablePointer<Float>
        let feedForward: FeedForwardActivations
    }

    struct DecoderLayerActivations {
        let input: UnsafeMutablePointer<Float>
        let rstd1, normed1: UnsafeMutablePointer<Float>
        let selfAttention: AttentionActivations
        let afterSelf: UnsafeMutablePointer<Float>
        let rstd2, normed2: UnsafeMutablePointer<Float>
        let crossAttention: AttentionActivations
        let afterCross: UnsafeMutablePointer<Float>
        let rstd3, normed3: UnsafeMutablePointer<Float>
        let feedForward: FeedForwardActivations
    }

    struct Activations {
        var encoder: [EncoderLayerActivations] = []
        var encoderLast: UnsafeMutablePointer<Float>
        var encoderFinalRstd: UnsafeMutablePointer<Float>
        /// dropout(final_norm(encoder)): the keys/values source of every cross-attention.
        var encoderOutput: UnsafeMutablePointer<Float>
        var decoder: [DecoderLayerActivations] = []
        var decoderLast: UnsafeMutablePointer<Float>
        var decoderFinalRstd: UnsafeMutablePointer<Float>
        /// lm_head input: dropout(final_norm(decoder)) (· d_model^-0.5 when tied).
        var lmInput: UnsafeMutablePointer<Float>
        var logits: UnsafeMutablePointer<Float>
        var logSumExp: UnsafeMutablePointer<Float>
        var loss: Float
        var encoderBias, decoderBias: DistanceBias
        /// Where each sequence's rows are, for forward and backward alike.
        var spans: BatchSpans
    }

    /// Encoder self-attention, decoder self-attention and cross-attention spans of a batch.
    struct BatchSpans {
        let encoder, decoder, cross: AttentionSpans

        /// `promptRows` rows in front of every source (a prompt method's) are part of its encoder sequence;
        /// `prefixRows` keys in front of every target's (prefix tuning's) part of its decoder self-attention.
        init(_ batch: UnpaddedBatch, heads: Int, headDim dh: Int, promptRows n: Int = 0, prefixRows p: Int = 0) {
            let sources = batch.sourceOffsets.enumerated().map { $0.element + $0.offset * n }
            encoder = AttentionSpans(queryOffsets: sources, keyOffsets: sources, heads: heads, headDim: dh, causal: false)
            decoder = AttentionSpans(queryOffsets: batch.targetOffsets,
                                     keyOffsets: batch.targetOffsets.enumerated().map { $0.element + $0.offset * p }, heads: heads,
                                     headDim: dh, causal: true, keyPrefix: p)
            cross = AttentionSpans(queryOffsets: batch.targetOffsets, keyOffsets: sources, heads: heads, headDim: dh, causal: false)
        }
    }

    var outputScale: Float { config.tieWordEmbeddings ? 1 / Float(config.dModel).squareRoot() : 1 }

    /// residual += dropout(sublayer) in place on `sublayer`, result written to `out`.
    private func residual(_ input: UnsafePointer<Float>, plus sublayer: UnsafeMutablePointer<Float>, count: Int, site: UInt64) {
        context.dropout(site: site)?.apply(sublayer, count: count)
        Elementwise.add(input, into: sublayer, count: count)
    }

    /// The position bias by distance for sequences of up to `length` tokens: [heads, 2·length − 1].
    private func positionBias(table: Parameter, length: Int, bidirectional: Bool) -> DistanceBias {
        let bias = arena.floats(config.numHeads * (2 * length - 1))
        RelativePosition.biasByDistance(table: table.value, heads: config.numHeads, length: length,
                                        bidirectional: bidirectional, numBuckets: config.relativeAttentionNumBuckets,
                                        maxDistance: config.relativeAttentionMaxDistance, into: bias)
        return DistanceBias(table: bias, length: length)
    }

    func forward(_ batch: UnpaddedBatch) -> Activations {
        arena.reset()
        let d = config.dModel, eps = config.layerNormEpsilon
        let prompt = encoderPrompt?.virtualTokens ?? 0
        let encRows = batch.sourceTokens + batch.batchSize * prompt, decRows = batch.targetTokens
        let spans = BatchSpans(batch, heads: config.numHeads, headDim: config.dKV, promptRows: prompt,
                               prefixRows: decoderPrefix?.virtualTokens ?? 0)
        let (encSpans, selfSpans, crossSpans) = (spans.encoder, spans.decoder, spans.cross)

        // encoder: each source's rows are the prompt's (if any), then its tokens'
        var x = arena.floats(encRows * d)
        if let encoderPrompt {
            let rows = encoderPrompt.forward(arena: arena)
            for b in 0..<batch.batchSize {
                let start = encSpans.queryOffsets[b]
                (x + start * d).update(from: rows, count: prompt * d)
                Embedding.forward(ids: Array(batch.inputIds[batch.sourceOffsets[b]..<batch.sourceOffsets[b + 1]]),
                                  table: weights.embedding.value, dim: d, x + (start + prompt) * d)
            }
        } else {
            Embedding.forward(ids: batch.inputIds, table: weights.embedding.value, dim: d, x)
        }
        context.dropout(site: DropoutSite.of(decoder: false, layer: -1, .embedding))?.apply(x, count: encRows * d)
        let encoderBias = positionBias(table: weights.encoder[0].attention.relativeBias!, length: encSpans.longestSequence,
                                       bidirectional: true)
        var encoderActs: [EncoderLayerActivations] = []
        for (l, layer) in weights.encoder.enumerated() {
            let rstd1 = arena.floats(encRows), normed1 = arena.floats(encRows * d)
            RMSNorm.forward(x, weight: layer.attentionNorm.value, normed1, rstd: rstd1, rows: encRows, dim: d, eps: eps)
            let middle = arena.floats(encRows * d)
            let attention = AttentionBlock.forward(
                layer.attention, queryInput: normed1, keyValueInput: normed1, spans: encSpans, bias: encoderBias,
                probsSite: DropoutSite.of(decoder: false, layer: l, .attentionProbs), output: middle,
                arena: arena, context: context)
            residual(x, plus: middle, count: encRows * d, site: DropoutSite.of(decoder: false, layer: l, .attentionOutput))
            let rstd2 = arena.floats(encRows), normed2 = arena.floats(encRows * d)
            RMSNorm.forward(middle, weight: layer.feedForwardNorm.value, normed2, rstd: rstd2, rows: encRows, dim: d, eps: eps)
            let next = arena.floats(encRows * d)
            let ff = FeedForwardBlock.forward(layer.feedForward, input: normed2, rows: encRows,
                                              hiddenSite: DropoutSite.of(decoder: false, layer: l, .feedForwardHidden),
                                              output: next, arena: arena, context: context)
            residual(middle, plus: next, count: encRows * d, site: DropoutSite.of(decoder: false, layer: l, .feedForwardOutput))
            encoderActs.append(EncoderLayerActivations(input: x, rstd1: rstd1, normed1: normed1, attention: attention,
                                                       middle: middle, rstd2: rstd2, normed2: normed2, feedForward: ff))
            x = next
        }
        let encoderLast = x
        let encoderFinalRstd = arena.floats(encRows), encoderOutput = arena.floats(encRows * d)
        RMSNorm.forward(encoderLast, weight: weights.encoderFinalNorm.value, encoderOutput, rstd: encoderFinalRstd,
                        rows: encRows, dim: d, eps: eps)
        context.dropout(site: DropoutSite.of(decoder: false, layer: -1, .finalNorm))?.apply(encoderOutput, count: encRows * d)

        // decoder
        var y = arena.floats(decRows * d)
        Embedding.forward(ids: batch.decoderInputIds, table: weights.embedding.value, dim: d, y)
        context.dropout(site: DropoutSite.of(decoder: true, layer: -1, .embedding))?.apply(y, count: decRows * d)
        let decoderBias = positionBias(table: weights.decoder[0].selfAttention.relativeBias!, length: selfSpans.longestSequence,
                                       bidirectional: false)
        var decoderActs: [DecoderLayerActivations] = []
        for (l, layer) in weights.decoder.enumerated() {
            let rstd1 = arena.floats(decRows), normed1 = arena.floats(decRows * d)
            RMSNorm.forward(y, weight: layer.selfAttentionNorm.value, normed1, rstd: rstd1, rows: decRows, dim: d, eps: eps)
            let afterSelf = arena.floats(decRows * d)
            let selfAttention = AttentionBlock.forward(
                layer.selfAttention, queryInput: normed1, keyValueInput: normed1, spans: selfSpans, bias: decoderBias,
                probsSite: DropoutSite.of(decoder: true, layer: l, .attentionProbs), prefix: decoderPrefix?.rows(layer: l),
                output: afterSelf, arena: arena, context: context)
            residual(y, plus: afterSelf, count: decRows * d, site: DropoutSite.of(decoder: true, layer: l, .attentionOutput))
            let rstd2 = arena.floats(decRows), normed2 = arena.floats(decRows * d)
            RMSNorm.forward(afterSelf, weight: layer.crossAttentionNorm.value, normed2, rstd: rstd2, rows: decRows, dim: d, eps: eps)
            let afterCross = arena.floats(decRows * d)
            let crossAttention = AttentionBlock.forward(
                layer.crossAttention, queryInput: normed2, keyValueInput: encoderOutput, spans: crossSpans, bias: nil,
                probsSite: DropoutSite.of(decoder: true, layer: l, .crossProbs), output: afterCross,
                arena: arena, context: context)
            residual(afterSelf, plus: afterCross, count: decRows * d, site: DropoutSite.of(decoder: true, layer: l, .crossOutput))
            let rstd3 = arena.floats(decRows), normed3 = arena.floats(decRows * d)
            RMSNorm.forward(afterCross, weight: layer.feedForwardNorm.value, normed3, rstd: rstd3, rows: decRows, dim: d, eps: eps)
            let next = arena.floats(decRows * d)
            let ff = FeedForwardBlock.forward(layer.feedForward, input: normed3, rows: decRows,
                                              hiddenSite: DropoutSite.of(decoder: true, layer: l, .feedForwardHidden),
                                              output: next, arena: arena, context: context)
            residual(afterCross, plus: next, count: decRows * d, site: DropoutSite.of(decoder: true, layer: l, .feedForwardOutput))
            decoderActs.append(DecoderLayerActivations(
                input: y, rstd1: rstd1, normed1: normed1, selfAttention: selfAttention, afterSelf: afterSelf, rstd2: rstd2,
                normed2: normed2, crossAttention: crossAttention, afterCross: afterCross, rstd3: rstd3, normed3: normed3,
                feedForward: ff))
            y = next
        }
        let decoderLast = y
        let decoderFinalRstd = arena.floats(decRows), lmInput = arena.floats(decRows * d)
        RMSNorm.forward(decoderLast, weight: weights.decoderFinalNorm.value, lmInput, rstd: decoderFinalRstd,
                        rows: decRows, dim: d, eps: eps)
        context.dropout(site: DropoutSite.of(decoder: true, layer: -1, .finalNorm))?.apply(lmInput, count: decRows * d)
        if config.tieWordEmbeddings { Elementwise.scale(lmInput, by: outputScale, count: decRows * d) }

        let vocab = config.vocabSize
        let logits = arena.floats(decRows * vocab), logSumExp = arena.floats(decRows)
        Linear.forward(lmInput, weight: weights.lmHead.product, logits, rows: decRows, inFeatures: d, outFeatures: vocab)
        let loss = TokenCrossEntropy.forward(logits: logits, targets: batch.labels, vocab: vocab, logSumExp: logSumExp,
                                             labelSmoothing: labelSmoothing, threads: threads)
        return Activations(encoder: encoderActs, encoderLast: encoderLast, encoderFinalRstd: encoderFinalRstd,
                           encoderOutput: encoderOutput, decoder: decoderActs, decoderLast: decoderLast,
                           decoderFinalRstd: decoderFinalRstd, lmInput: lmInput, logits: logits, logSumExp: logSumExp,
                           loss: loss, encoderBias: encoderBias, decoderBias: decoderBias, spans: spans)
    }

    // MARK: backward

    func backward(_ batch: UnpaddedBatch, _ acts: Activations, labelTokens: Int) {
        let d = config.dModel, heads = config.numHeads, vocab = config.vocabSize
        let (encSpans, selfSpans, crossSpans) = (acts.spans.encoder, acts.spans.decoder, acts.spans.cross)
        let encRows = encSpans.queryRows, decRows = batch.targetTokens
        let embeddingTrainable = weights.embedding.isTrainable
        // a prompt's gradient comes through the encoder's input, as the embedding's does
        let encoderInputGradient = embeddingTrainable || encoderPrompt != nil

        // loss → logits (in place) → lm_head
        TokenCrossEntropy.backward(logits: acts.logits, logSumExp: acts.logSumExp, targets: batch.labels, vocab: vocab,
                                   normalizer: labelTokens, labelSmoothing: labelSmoothing, threads: threads)
        if let dw = weights.lmHead.weight.gradient {
            Linear.backwardWeight(acts.logits, input: acts.lmInput, dw, rows: decRows, inFeatures: d, outFeatures: vocab)
        }
        let dLm = arena.floats(decRows * d)
        Linear.backwardInput(acts.logits, weight: weights.lmHead.product, dLm, rows: decRows, inFeatures: d, outFeatures: vocab,
                             accumulate: false, scale: outputScale)
        context.dropout(site: DropoutSite.of(decoder: true, layer: -1, .finalNorm))?.apply(dLm, count: decRows * d)
        let dY = arena.zeros(decRows * d)
        RMSNorm.backward(dLm, x: acts.decoderLast, weight: weights.decoderFinalNorm.value, rstd: acts.decoderFinalRstd,
                         dx: dY, dweight: weights.decoderFinalNorm.gradient, rows: decRows, dim: d)

        // decoder layers, last to first; dY holds ∂loss/∂(residual stream)
        let dSub = arena.floats(decRows * d), dNormed = arena.floats(decRows * d)
        let dEncoderOutput = arena.zeros(encRows * d)
        let decoderBiasTable = weights.decoder[0].selfAttention.relativeBias!
        let decoderBiasLength = selfSpans.longestSequence
        let dDecoderBias = decoderBiasTable.isTrainable ? arena.zeros(heads * (2 * decoderBiasLength - 1)) : nil
        for l in stride(from: weights.decoder.count - 1, through: 0, by: -1) {
            let layer = weights.decoder[l], a = acts.decoder[l]
            // feed-forward sublayer
            feedForwardSublayerBackward(layer.feedForward, a.feedForward, norm: layer.feedForwardNorm, input: a.afterCross,
                                        rstd: a.rstd3, dResidual: dY, dSub: dSub, dNormed: dNormed, rows: decRows,
                                        decoder: true, layer: l)
            // cross-attention sublayer
            sublayerGradient(dY, into: dSub, count: decRows * d, site: DropoutSite.of(decoder: true, layer: l, .crossOutput))
            dNormed.update(repeating: 0, count: decRows * d)
            AttentionBlock.backward(layer.crossAttention, a.crossAttention, spans: crossSpans, dOutput: dSub,
                                    dQueryInput: dNormed, dKeyValueInput: dEncoderOutput, biasGradient: nil, biasLength: 0,
                                    probsSite: DropoutSite.of(decoder: true, layer: l, .crossProbs), context: context)
            RMSNorm.backward(dNormed, x: a.afterSelf, weight: layer.crossAttentionNorm.value, rstd: a.rstd2, dx: dY,
                             dweight: layer.crossAttentionNorm.gradient, rows: decRows, dim: d)
            // self-attention sublayer: below layer 0 only the embedding can use the input gradient
            selfAttentionSublayerBackward(layer.selfAttention, a.selfAttention, norm: layer.selfAttentionNorm, input: a.input,
                                          rstd: a.rstd1, spans: selfSpans, dResidual: dY, dSub: dSub, dNormed: dNormed,
                                          biasGradient: dDecoderBias, biasLength: decoderBiasLength, needsInput: l > 0 || embeddingTrainable,
                                          decoder: true, layer: l, prefix: decoderPrefix?.rows(layer: l))
        }
        if let dDecoderBias {
            scatterBias(dDecoderBias, into: decoderBiasTable, length: decoderBiasLength, bidirectional: false)
        }
        if let dTable = weights.embedding.gradient {
            context.dropout(site: DropoutSite.of(decoder: true, layer: -1, .embedding))?.apply(dY, count: decRows * d)
            Embedding.backward(ids: batch.decoderInputIds, dout: dY, dim: d, dtable: dTable)
        }

        // encoder: final dropout and norm, then layers last to first
        context.dropout(site: DropoutSite.of(decoder: false, layer: -1, .finalNorm))?.apply(dEncoderOutput, count: encRows * d)
        let dX = arena.zeros(encRows * d)
        RMSNorm.backward(dEncoderOutput, x: acts.encoderLast, weight: weights.encoderFinalNorm.value,
                         rstd: acts.encoderFinalRstd, dx: dX, dweight: weights.encoderFinalNorm.gradient, rows: encRows, dim: d)
        let dEncSub = arena.floats(encRows * d), dEncNormed = arena.floats(encRows * d)
        let encoderBiasTable = weights.encoder[0].attention.relativeBias!
        let encoderBiasLength = encSpans.longestSequence
        let dEncoderBias = encoderBiasTable.isTrainable ? arena.zeros(heads * (2 * encoderBiasLength - 1)) : nil
        for l in stride(from: weights.encoder.count - 1, through: 0, by: -1) {
            let layer = weights.encoder[l], a = acts.encoder[l]
            feedForwardSublayerBackward(layer.feedForward, a.feedForward, norm: layer.feedForwardNorm, input: a.middle,
                                        rstd: a.rstd2, dResidual: dX, dSub: dEncSub, dNormed: dEncNormed, rows: encRows,
                                        decoder: false, layer: l)
            selfAttentionSublayerBackward(layer.attention, a.attention, norm: layer.attentionNorm, input: a.input,
                                          rstd: a.rstd1, spans: encSpans, dResidual: dX, dSub: dEncSub, dNormed: dEncNormed,
                                          biasGradient: dEncoderBias, biasLength: encoderBiasLength, needsInput: l > 0 || encoderInputGradient,
                                          decoder: false, layer: l)
        }
        if let dEncoderBias {
            scatterBias(dEncoderBias, into: encoderBiasTable, length: encoderBiasLength, bidirectional: true)
        }
        if encoderInputGradient {
            context.dropout(site: DropoutSite.of(decoder: false, layer: -1, .embedding))?.apply(dX, count: encRows * d)
        }
        if let encoderPrompt {
            // ∂loss/∂prompt rows: summed over the sequences, in sequence order
            let n = encoderPrompt.virtualTokens, dRows = arena.zeros(n * d)
            for b in 0..<batch.batchSize { Elementwise.add(dX + encSpans.queryOffsets[b] * d, into: dRows, count: n * d) }
            encoderPrompt.backward(dRows, scratch: context.scratch)
            if let dTable = weights.embedding.gradient {
                for b in 0..<batch.batchSize {
                    Embedding.backward(ids: Array(batch.inputIds[batch.sourceOffsets[b]..<batch.sourceOffsets[b + 1]]),
                                       dout: dX + (encSpans.queryOffsets[b] + n) * d, dim: d, dtable: dTable)
                }
            }
        } else if let dTable = weights.embedding.gradient {
            Embedding.backward(ids: batch.inputIds, dout: dX, dim: d, dtable: dTable)
        }
    }

    /// ∂loss/∂sublayer output = dropout mask applied to the residual-stream gradient.
    /// Backward of a pre-norm feed-forward sublayer x + dropout(FF(norm(x))): adds ∂loss/∂x to `dResidual`
    /// (which holds ∂loss/∂output on entry). `dSub` and `dNormed` are scratch of the same size.
    private func feedForwardSublayerBackward(_ ff: TrainingWeights.FeedForward, _ saved: FeedForwardActivations, norm: Parameter,
                                             input: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                             dResidual: UnsafeMutablePointer<Float>, dSub: UnsafeMutablePointer<Float>,
                                             dNormed: UnsafeMutablePointer<Float>, rows: Int, decoder: Bool, layer l: Int) {
        let count = rows * config.dModel
        sublayerGradient(dResidual, into: dSub, count: count, site: DropoutSite.of(decoder: decoder, layer: l, .feedForwardOutput))
        dNormed.update(repeating: 0, count: count)
        FeedForwardBlock.backward(ff, saved, rows: rows, dOutput: dSub, dInput: dNormed,
                                  hiddenSite: DropoutSite.of(decoder: decoder, layer: l, .feedForwardHidden), context: context)
        RMSNorm.backward(dNormed, x: input, weight: norm.value, rstd: rstd, dx: dResidual, dweight: norm.gradient,
                         rows: rows, dim: config.dModel)
    }

    /// Backward of a pre-norm self-attention sublayer, like `feedForwardSublayerBackward`. Without
    /// `needsInput` (layer 0 under a frozen embedding) no input gradient is computed at all.
    private func selfAttentionSublayerBackward(_ attention: TrainingWeights.Attention, _ saved: AttentionActivations, norm: Parameter,
                                               input: UnsafePointer<Float>, rstd: UnsafePointer<Float>, spans: AttentionSpans,
                                               dResidual: UnsafeMutablePointer<Float>, dSub: UnsafeMutablePointer<Float>,
                                               dNormed: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
                                               biasLength: Int, needsInput: Bool, decoder: Bool, layer l: Int,
                                               prefix: PrefixRows? = nil) {
        let rows = spans.queryRows, count = rows * config.dModel
        sublayerGradient(dResidual, into: dSub, count: count, site: DropoutSite.of(decoder: decoder, layer: l, .attentionOutput))
        dNormed.update(repeating: 0, count: count)
        AttentionBlock.backward(attention, saved, spans: spans, dOutput: dSub,
                                dQueryInput: needsInput ? dNormed : nil, dKeyValueInput: needsInput ? dNormed : nil,
                                biasGradient: biasGradient, biasLength: biasLength,
                                probsSite: DropoutSite.of(decoder: decoder, layer: l, .attentionProbs), prefix: prefix, context: context)
        if needsInput || norm.isTrainable {
            RMSNorm.backward(dNormed, x: input, weight: norm.value, rstd: rstd, dx: dResidual, dweight: norm.gradient,
                             rows: rows, dim: config.dModel)
        }
    }

    private func sublayerGradient(_ dResidual: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, site: UInt64) {
        if let dropout = context.dropout(site: site) {
            dropout.apply(dResidual, into: out, count: count)
        } else {
            out.update(from: dResidual, count: count)
        }
    }

    /// table.gradient[bucket(r), h] += dBias[h, r + length − 1] for every distance r = k − q.
    private func scatterBias(_ dBias: UnsafePointer<Float>, into table: Parameter, length: Int, bidirectional: Bool) {
        guard let gradient = table.gradient else { return }
        let heads = config.numHeads, width = 2 * length - 1
        for r in -(length - 1)..<length {
            let bucket = RelativePosition.bucket(relative: r, bidirectional: bidirectional,
                                                 numBuckets: config.relativeAttentionNumBuckets,
                                                 maxDistance: config.relativeAttentionMaxDistance)
            for h in 0..<heads { gradient[bucket * heads + h] += dBias[h * width + r + length - 1] }
        }
    }
}
