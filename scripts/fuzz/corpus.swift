// libFuzzer harness: a corpus split as fetch-samsum reads it (JSON/JSONValue+Parsing.swift's element-wise
// array reader, then Corpus/DialogueRecord+Validation.swift on each element), and the same bytes as JSON
// Lines (JSON/JSONLines.swift), the form every stage reads back.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpusRecords(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    try? JSONValue.forEachElement(ofArrayIn: bytes) { _, value, irregularities in
        _ = DialogueRecord.validated(value, irregularities: irregularities)
    }
    if let rows = try? JSONLines.parse(bytes, path: "fuzz") {
        for row in rows { _ = DialogueRecord.validated(row.value) }
    }
    return 0
}
