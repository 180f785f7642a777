// PEFT's key names in adapter_model.safetensors: "base_model.model.<module path>.lora_A.weight" [r, in] and
// ".lora_B.weight" [out, r]. Written by train-lora, read by generate's adapter loader.

public enum AdapterTensorNames {
    static let prefix = "base_model.model."
    static let aSuffix = ".lora_A.weight", bSuffix = ".lora_B.weight"

    /// The key of module `module`'s lora_A (e.g. module "encoder.block.0.layer.0.SelfAttention.q").
    public static func a(module: String) -> String { prefix + module + aSuffix }
    /// The key of module `module`'s lora_B.
    public static func b(module: String) -> String { prefix + module + bSuffix }

    /// The module path a lora_A or lora_B key belongs to; nil for any other key.
    public static func module(ofKey key: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        for suffix in [aSuffix, bSuffix] where key.hasSuffix(suffix) && key.count > prefix.count + suffix.count {
            return String(key.dropFirst(prefix.count).dropLast(suffix.count))
        }
        return nil
    }
}
