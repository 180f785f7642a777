// libFuzzer harness: adapter_config.json through LoRA/AdapterConfig.swift's strict reader.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterConfig(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    _ = try? AdapterConfig(jsonData: Data(bytes: data, count: size), path: "fuzz")
    return 0
}
