// PEFT's key names in adapter_model.safetensors: "base_model.model.<module path>.<tensor>", where the tensor is
// LoRA's "lora_A.weight" [r, in] and "lora_B.weight" [out, r], or IA3's "ia3_l" ([out, 1], or [1, in] on a
// feed-forward module: a raw parameter, so no ".weight"). Written by train-lora, read by generate's adapter loader.

public enum AdapterTensorNames {
    static let prefix = "base_model.model."

    /// The tensors each method keeps per module, in PEFT's state-dict order.
    public static func tensors(of peftType: String) -> [String] {
        switch peftType {
        case "LORA": return ["lora_A.weight", "lora_B.weight"]
        case "IA3": return ["ia3_l"]
        default: return []
        }
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
