// libFuzzer harness: a safetensors file (SafeTensors/SafeTensorsFile.swift: header length, header JSON,
// dtype, shapes and offsets checked against the data size), then every tensor read as the loaders do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes, label: "fuzz") else { return 0 }
    for name in file.names {
        _ = try? file.rawBytes(name)
        _ = try? file.floats(name)
    }
    return 0
}
