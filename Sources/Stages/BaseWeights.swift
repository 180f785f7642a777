import Failures
import Kernels
import Pipeline
import T5

/// How a stage holds the frozen base model: `<section>.weights_dtype` f32, bf16 (the seed's torch_dtype) or nf4
/// (QLoRA: the bf16 mode with the linears bitsandbytes quantizes in 4 bits), and for nf4 the `quantization.*`
/// settings. They are read, and so in the stage's key, only when the dtype is nf4.
struct BaseWeights {
    let precision: WeightMatrix.Precision
    let nf4: NF4Settings

    init(_ p: ParameterReader, section: String, config: String) throws {
        let dtype = p.string("\(section).weights_dtype")
        guard let precision = WeightMatrix.Precision(rawValue: dtype) else {
            throw PipelineError.usage("\(section).weights_dtype must be f32, bf16 or nf4, not \(dtype)", path: config)
        }
        self.precision = precision
        guard precision == .nf4 else {
            nf4 = NF4Settings()
            return
        }
        let blocksize = p.int("quantization.blocksize")
        guard NF4.blocksizes.contains(blocksize) else {
            throw PipelineError.usage("quantization.blocksize must be one of bitsandbytes' \(NF4.blocksizes.map(String.init).joined(separator: ", ")), "
                                      + "not \(blocksize)", path: config)
        }
        nf4 = NF4Settings(blocksize: blocksize, doubleQuant: p.bool("quantization.double_quant"))
    }

    /// For the log line: "nf4 base weights (blocks of 64, double quantization; wo, lm_head and the rest bf16)".
    var description: String {
        switch precision {
        case .f32: return "fp32 base weights"
        case .bf16: return "bf16 base weights"
        case .nf4:
            return "nf4 base weights (q, k, v, o, wi in blocks of \(nf4.blocksize)\(nf4.doubleQuant ? ", double quantization" : ""); "
                + "wo, lm_head and the rest bf16)"
        }
    }

    /// The implementation of the products, for the log line.
    var products: String { precision == .f32 ? F32GEMM.description : BF16GEMM.description }
}
