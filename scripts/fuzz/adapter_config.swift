// libFuzzer harness: adapter_config.json through LoRA/AdapterConfig.swift's strict reader and LoRAConfig's range check (the one
// `generate` loads adapters with), then PEFT's target rule on T5 module names (a list, or a regex) and its rank/alpha pattern rule.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterConfig(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard let config = try? AdapterConfig(jsonData: Data(bytes: data, count: size), path: "fuzz") else { return 0 }
    for module in ["encoder.block.0.layer.0.SelfAttention.q", "decoder.block.11.layer.2.DenseReluDense.wo", "lm_head"] {
        _ = config.lora.matches(module)
        _ = (config.lora.rank(of: module), config.lora.alpha(of: module), config.lora.scale(of: module))
    }
    _ = config.jsonData()
    return 0
}
