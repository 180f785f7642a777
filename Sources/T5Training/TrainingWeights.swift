// The training engine's weights: T5Tree bound to the file's tensors as Parameters, with LoRA adapters attached
// to the linears that the LoRA targets match. In the bf16 mode every base tensor is rounded to bf16 once
// (as `model.to(torch.bfloat16)`): the linears and lm_head keep bf16 copies for their products, the other
// tensors (embeddings, norms, relative-position tables) fp32 copies of the rounded values. The nf4 mode is the
// bf16 mode with the linears bitsandbytes quantizes (QuantizedModules) kept in NF4 instead of bf16 (QLoRA).
import Failures
import Kernels
import PEFT
import SafeTensors
import T5

/// Linears and lm_head are LinearLayers (lm_head's weight is the embedding's Parameter when tied); norms,
/// position tables and the embedding are Parameters.
public typealias TrainingWeights = T5Tree<LinearLayer, Parameter, Parameter, LinearLayer>

extension TrainingWeights {
    /// Binds `file`'s tensors. `trainAll` copies every tensor and gives it a gradient (full fine-tuning);
    /// otherwise fp32 tensors stay zero-copy views of the mapping (which they keep alive) and get no gradient.
    /// `precision` bf16 rounds the frozen base to bf16, nf4 also quantizes (`nf4`) the linears bitsandbytes
    /// quantizes (adapters only: a full fine-tune trains fp32 weights).
    public init(config: T5Config, file: SafeTensorsFile, trainAll: Bool, precision: WeightMatrix.Precision = .f32,
                nf4: NF4Settings = NF4Settings()) throws {
        guard precision == .f32 || !trainAll else {
            throw PipelineError.usage("\(precision.rawValue) base weights are for adapter training only; a full fine-tune trains fp32 weights",
                                      path: file.file)
        }
        let rounded = precision != .f32
        func parameter(_ tensor: StateDictTensor, linear: Bool = false) throws -> Parameter {
            let name = tensor.name, shape = tensor.shape
            let info = try file.checkedInfo(tensor)
            // A linear's fp32 values serve only the merge in the bf16 mode: the view costs no memory.
            if !trainAll, !rounded || linear, info.dtype == .f32, let view = try file.float32View(name) {
                return Parameter(name: name, shape: shape, value: UnsafeMutablePointer(mutating: view.baseAddress!),
                                 valueOwner: file, trainable: false)
            }
            var values = try file.floats(name)
            if rounded && !linear { values = values.map(BFloat16.rounded) }
            return Parameter(name: name, shape: shape, values: values, trainable: trainAll)
        }
        /// The bf16 copy a frozen weight's products read in the bf16 mode; nil in fp32.
        func bf16Copy(_ name: String) throws -> BF16Buffer? {
            guard rounded else { return nil }
            if try file.info(name).dtype == .bf16, let view = try file.bf16View(name) {
                return BF16Buffer(copying: view.baseAddress!, count: view.count)
            }
            let values = try file.floats(name)
            return values.withUnsafeBufferPointer { BF16Buffer(rounding: $0.baseAddress!, count: $0.count) }
        }
        // A layer's site (a dropout-mask seed) is its index in `linears`, the order in which the walk binds them.
        var bound: UInt64 = 0
        func layer(_ path: String, weight: Parameter, bf16 name: String) throws -> LinearLayer {
            defer {
                bound += 1
                // the mapped pages this weight's rounding read go now, not after the whole checkpoint was read
                if rounded { file.releaseResidentPages() }
            }
            let copy = try bf16Copy(name)
            if precision == .nf4, QuantizedModules.contains(path), let copy {
                // quantized from the bf16 values, as bitsandbytes does from a model loaded in bf16
                let tensor = try withExtendedLifetime(copy) {  // the copy must outlive the reading of its bits
                    try QuantizedModules.quantize(copy.pointer, rows: weight.shape[0], cols: weight.shape[1],
                                                  settings: nf4, tensor: name, file: file.file)
                }
                return LinearLayer(path: path, weight: weight, nf4: tensor, site: 10_000_000 + bound)
            }
            return LinearLayer(path: path, weight: weight, bf16: copy, site: 10_000_000 + bound)
        }
        try self.init(config: config,
                      linear: { try layer($0.module, weight: try parameter($0.weight, linear: true), bf16: $0.weight.name) },
                      vector: { try parameter($0) }, embedding: { try parameter($0) },
                      head: { head, embedding in
                          // no adapter reaches lm_head, so its site (the one after the stacks' linears) is never read
                          try layer("lm_head", weight: try head.map { try parameter($0, linear: true) } ?? embedding,
                                    bf16: head?.name ?? embedding.name)
                      })
        // The fp32 pages read for the rounding are not needed again: let them go from this process's memory.
        if rounded {
            file.releaseResidentPages()
            FreedMemory.release()  // and the bf16 copies the nf4 mode quantized from
        }
    }

    /// The bytes the frozen base's values take as the products and lookups read them: NF4 codes and scales, bf16
    /// copies, fp32 values (mapped or copied), the tied embedding once. What the nf4 mode saves, in one number.
    public var baseWeightBytes: Int {
        var bytes = 0
        var counted = Set<ObjectIdentifier>()
        for layer in linears + [lmHead] {
            counted.insert(ObjectIdentifier(layer.weight))
            bytes += layer.nf4?.byteCount ?? (layer.bf16.map { 2 * $0.count } ?? 4 * layer.weight.count)
        }
        for p in allParameters where !counted.contains(ObjectIdentifier(p)) { bytes += 4 * p.count }
        return bytes
    }

    /// Every distinct parameter (the tied embedding once) in the order the walk binds them: the optimiser's
    /// state and the full model's file follow it.
    public var allParameters: [Parameter] {
        var list: [Parameter] = [embedding]
        func add(_ norm: Parameter, _ a: Attention) {
            list += [norm] + a.linears.map(\.weight)
            if let bias = a.relativeBias { list.append(bias) }
        }
        func add(_ norm: Parameter, _ f: FeedForward) { list += [norm] + f.linears.map(\.weight) }
        for layer in encoder {
            add(layer.attentionNorm, layer.attention)
            add(layer.feedForwardNorm, layer.feedForward)
        }
        list.append(encoderFinalNorm)
        for layer in decoder {
            add(layer.selfAttentionNorm, layer.selfAttention)
            add(layer.crossAttentionNorm, layer.crossAttention)
            add(layer.feedForwardNorm, layer.feedForward)
        }
        list.append(decoderFinalNorm)
        if lmHead.weight !== embedding { list.append(lmHead.weight) }
        return list
    }

    /// A trainable zero tensor under PEFT's key for `module`'s `tensor`.
    private func zeroParameter(module: String, tensor: String, shape: [Int]) -> Parameter {
        Parameter(name: AdapterTensorNames.key(module: module, tensor: tensor), shape: shape,
                  values: [Float](repeating: 0, count: shape.reduce(1, *)), trainable: true)
    }

    /// Attaches a zero-initialised adapter of `method` to every linear it matches; returns them in layer order.
    func attachAdapters(_ method: AdapterMethod) -> [LinearLayer] {
        var adapted: [LinearLayer] = []
        for layer in linears where method.matches(layer.path) {
            switch method {
            case .lora(let settings):
                let rank = settings.rank(of: layer.path)
                let a = Parameter(name: AdapterTensorNames.a(module: layer.path), shape: [rank, layer.inFeatures],
                                  values: [Float](repeating: 0, count: rank * layer.inFeatures), trainable: true)
                let b = Parameter(name: AdapterTensorNames.b(module: layer.path), shape: [layer.outFeatures, rank],
                                  values: [Float](repeating: 0, count: rank * layer.outFeatures), trainable: true)
                layer.adapter = TrainableLoRA(a: a, b: b, rank: rank, scale: settings.scale(of: layer.path),
                                              dropout: Float(settings.dropout))
            case .ia3(let settings):
                let shape = settings.scalingShape(of: layer.path, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures)
                let l = Parameter(name: AdapterTensorNames.ia3(module: layer.path), shape: shape,
                                  values: [Float](repeating: 0, count: shape.reduce(1, *)), trainable: true)
                layer.adapter = TrainableIA3(scaling: l, feedForward: settings.isFeedForward(layer.path))
            case .loha(let settings):
                let (r, inF, outF) = (settings.rank(of: layer.path), layer.inFeatures, layer.outFeatures)
                let p = [("hada_w1_a", [outF, r]), ("hada_w1_b", [r, inF]), ("hada_w2_a", [outF, r]), ("hada_w2_b", [r, inF])]
                    .map { zeroParameter(module: layer.path, tensor: $0.0, shape: $0.1) }
                layer.adapter = TrainableLoHa(w1a: p[0], w1b: p[1], w2a: p[2], w2b: p[3], rank: r, scale: settings.scale(of: layer.path))
            case .lokr(let settings):
                let shape = LoKrShape(inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, rank: settings.rank(of: layer.path),
                                      decomposeBoth: settings.decomposeBoth, decomposeFactor: settings.decomposeFactor)
                let tensors = shape.tensors
                layer.adapter = TrainableLoKr(shape: shape, scale: settings.scale(of: layer.path),
                                              parameters: tensors.map { zeroParameter(module: layer.path, tensor: $0.name, shape: $0.shape) },
                                              names: tensors.map(\.name))
            case .promptTuning, .pTuning, .prefixTuning:
                preconditionFailure("a prompt or prefix adapts no linear (matches is false)")
            }
            adapted.append(layer)
        }
        return adapted
    }
}
