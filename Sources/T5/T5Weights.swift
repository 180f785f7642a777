// The inference engine's weights: T5Tree bound to the file's tensors, shape-checked, mapped zero-copy where they can be.
import Failures
import Kernels
import SafeTensors

/// Linears are Projections (a LoRA update can be attached); norms and position tables fp32 values; lm_head
/// the embedding's matrix when tied.
public typealias T5Weights = T5Tree<Projection, [Float], WeightMatrix, WeightMatrix>

extension T5Weights {
    /// Every projection by its HF module path (e.g. "encoder.block.0.layer.0.SelfAttention.q").
    public var projections: [String: Projection] {
        Dictionary(uniqueKeysWithValues: linears.map { ($0.name, $0) })
    }

    /// `precision` nf4: the linears bitsandbytes quantizes (QuantizedModules) in NF4 from their bf16 values, the
    /// rest as in the bf16 mode.
    init(file: SafeTensorsFile, config: T5Config, precision: WeightMatrix.Precision, nf4: NF4Settings = NF4Settings()) throws {
        let rounded = precision != .f32
        func linear(_ tensor: StateDictTensor, module: String) throws -> WeightMatrix {
            // bf16 and nf4 keep copies: the mapped pages each tensor's rounding read go as soon as it is done, so
            // loading never holds the whole fp32 checkpoint (flan-t5-large: 3 GB) besides them
            defer { if rounded { file.releaseResidentPages() } }
            guard precision == .nf4, QuantizedModules.contains(module) else { return try matrix(tensor) }
            return try matrix(tensor).quantized(nf4, tensor: tensor.name, file: file.file)
        }
        func matrix(_ tensor: StateDictTensor) throws -> WeightMatrix {
            let precision: WeightMatrix.Precision = rounded ? .bf16 : .f32
            let info = try file.checkedInfo(tensor)
            let name = tensor.name, rows = tensor.shape[0], cols = tensor.shape[1]
            switch (info.dtype, precision) {
            case (.f32, .f32):
                if let view = try file.float32View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .f32(view.baseAddress!), owner: file)
                }
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name))
            case (.bf16, .bf16):
                if let view = try file.bf16View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .bf16(view.baseAddress!), owner: file)
                }
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name)).converted(to: .bf16)
            case (.f32, .bf16):
                // rounded straight from the mapping (no fp32 copy first)
                if let view = try file.float32View(name) {
                    return WeightMatrix(rows: rows, cols: cols, storage: .f32(view.baseAddress!), owner: file).converted(to: .bf16)
                }
                fallthrough
            default:
                return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name)).converted(to: precision)
            }
        }
        /// Norm weights and position biases: small, kept in fp32; in the bf16 mode their values are rounded to
        /// bf16 like every base tensor (as `model.to(torch.bfloat16)`, and as the trainer's bf16 mode).
        func vector(_ tensor: StateDictTensor) throws -> [Float] {
            _ = try file.checkedInfo(tensor)
            let values = try file.floats(tensor.name)
            return rounded ? values.map(BFloat16.rounded) : values
        }
        try self.init(config: config, linear: { Projection(name: $0.module, weight: try linear($0.weight, module: $0.module)) }, vector: vector,
                      embedding: matrix, head: { head, embedding in try head.map(matrix) ?? embedding })
    }
}
