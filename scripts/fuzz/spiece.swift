// libFuzzer harness: a spiece.model (SentencePiece/ProtobufReader.swift and ModelProto.swift), then the
// processor built from it and one sentence encoded, as tokenize does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSentencePieceModel(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    guard let processor = try? SentencePieceProcessor(serialized: bytes, path: "fuzz") else { return 0 }
    _ = processor.encode("Amanda: I baked cookies. Do you want some?")
    return 0
}
