// Which of T5's linears the nf4 mode stores in 4 bits: those transformers hands to bitsandbytes when flan-t5 is
// loaded with BitsAndBytesConfig(load_in_4bit=True): every nn.Linear but the feed-forward output `wo` (T5's
// `_keep_in_fp32_modules`) and `lm_head` (the output embedding, which transformers never converts). Checked with
// transformers 5.24 and bitsandbytes 0.50.2 (scripts/fixtures/train_nf4_fixture.py asserts the set).
import Failures
import Kernels

public enum QuantizedModules {
    /// True for q, k, v, o, wi (wi_0, wi_1); false for wo and lm_head.
    public static func contains(_ modulePath: String) -> Bool {
        let name = modulePath.split(separator: ".").last.map(String.init) ?? modulePath
        return name != "wo" && modulePath != "lm_head"
    }
}

extension QuantizedModules {
    /// `tensor`'s bf16 values (`bits`, [rows, cols]) in NF4, as both engines' nf4 modes hold a quantized linear; a value
    /// that is not finite is one error naming the tensor and the file.
    public static func quantize(_ bits: UnsafePointer<UInt16>, rows: Int, cols: Int, settings: NF4Settings,
                                tensor: String, file: String) throws -> NF4Tensor {
        guard let t = NF4Tensor(quantizingBF16: bits, rows: rows, cols: cols, settings: settings) else {
            throw PipelineError.badInput("\(tensor) holds a value that is not finite; it cannot be quantized to NF4", path: file)
        }
        return t
    }
}
