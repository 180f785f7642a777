// libFuzzer harness: the strict JSON parser (JSON/JSONParser.swift) on arbitrary bytes. A parse error is a
// normal outcome; a crash, a hang or an ASan report is a bug.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    if let value = try? JSONValue.parse(Data(bytes: data, count: size)) {
        _ = value.canonical  // what the pipeline does with a parsed value: print it again
    }
    return 0
}
