// libFuzzer harness: adapter_config.json of any method through PEFT/AdapterConfig.swift's strict reader and the method's
// range check (the one `generate` loads adapters with), then PEFT's target rule on T5 module names (a list, or a regex),
// the rank/alpha pattern rule and IA3's feed-forward rule.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterConfig(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard let config = try? AdapterConfig(jsonData: Data(bytes: data, count: size), path: "fuzz") else { return 0 }
    for module in ["encoder.block.0.layer.0.SelfAttention.q", "decoder.block.11.layer.2.DenseReluDense.wo", "lm_head"] {
        _ = config.method.matches(module)
        switch config.method {
        case .lora(let lora): _ = (lora.rank(of: module), lora.alpha(of: module), lora.scale(of: module))
        case .ia3(let ia3): _ = (ia3.isFeedForward(module), ia3.scalingShape(of: module, inFeatures: 8, outFeatures: 4))
        case .loha(let c), .lokr(let c): _ = (c.rank(of: module), c.scale(of: module))
        case .promptTuning(let c), .pTuning(let c): _ = (c.totalVirtualTokens, c.fitted(dModel: 8, heads: 2, layers: 1))
        case .prefixTuning(let c): _ = (c.prefixTableWidth, c.prefixSlots(layer: 3))
        }
    }
    _ = config.jsonData()
    return 0
}
