// PEFT's key names in adapter_model.safetensors: "base_model.model.<module path>.<tensor>", where the tensor is
// LoRA's "lora_A.weight" [r, in] and "lora_B.weight" [out, r]; IA3's "ia3_l" ([out, 1], or [1, in] on a
// feed-forward module); LoHa's "hada_w1_a" … "hada_w2_b"; LoKr's "lokr_w1" or "lokr_w1_a/_b", and "lokr_w2" or
// "lokr_w2_a/_b" (raw parameters have no ".weight"). Written by train-lora, read by generate's adapter loader.

public enum AdapterTensorNames {
    static let prefix = "base_model.model."
    /// A prompt method's one tensor (no prefix): the rows in front of the encoder's input, [2n, d_model].
    public static let promptEmbeddings = "prompt_embeddings"

    /// The tensors each method keeps per module, in PEFT's state-dict order.
    public static func tensors(of peftType: String) -> [String] {
        switch peftType {
        case "LORA": return ["lora_A.weight", "lora_B.weight"]
        case "IA3": return ["ia3_l"]
        case "LOHA": return ["hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b"]
        case "LOKR": return ["lokr_w1", "lokr_w1_a", "lokr_w1_b", "lokr_w2", "lokr_w2_a", "lokr_w2_b"]
        default: return []
        }
    }

    /// Whether a module's `tensors` are one whole adapter of method `peftType`: every tensor of the method, or for
    /// LoKr each factor once, full or as its low-rank pair.
    public static func isComplete(_ tensors: Set<String>, peftType: String) -> Bool {
        guard peftType == "LOKR" else { return tensors == Set(self.tensors(of: peftType)) }
        func one(_ factor: String) -> Bool {
            tensors.contains(factor) != (tensors.contains(factor + "_a") && tensors.contains(factor + "_b"))
                && (tensors.contains(factor + "_a") == tensors.contains(factor + "_b"))
        }
        return one("lokr_w1") && one("lokr_w2")
    }

    /// The key of module `module`'s tensor `tensor` (e.g. module "encoder.block.0.layer.0.SelfAttention.q",
    /// tensor "lora_A.weight").
    public static func key(module: String, tensor: String) -> String { prefix + module + "." + tensor }

    /// The key of module `module`'s lora_A.
    public static func a(module: String) -> String { key(module: module, tensor: "lora_A.weight") }
    /// The key of module `module`'s lora_B.
    public static func b(module: String) -> String { key(module: module, tensor: "lora_B.weight") }
    /// The key of module `module`'s IA3 vector.
    public static func ia3(module: String) -> String { key(module: module, tensor: "ia3_l") }

    /// The module path and tensor name of a key of method `peftType`; nil for any other key.
    public static func split(_ key: String, peftType: String) -> (module: String, tensor: String)? {
        guard key.hasPrefix(prefix) else { return nil }
        for tensor in tensors(of: peftType) where key.hasSuffix("." + tensor) && key.count > prefix.count + tensor.count + 1 {
            return (String(key.dropFirst(prefix.count).dropLast(tensor.count + 1)), tensor)
        }
        return nil
    }

    /// The module path a lora_A or lora_B key belongs to; nil for any other key.
    public static func module(ofKey key: String) -> String? { split(key, peftType: "LORA")?.module }
}
