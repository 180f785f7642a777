// libFuzzer harness: the corpus record parser (Corpus/CorpusJSONParser.swift), as a whole JSON array and as
// one JSONL record, the two forms fetch-samsum reads from the archive.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpusRecords(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let buffer = UnsafeBufferPointer(start: data.assumingMemoryBound(to: UInt8.self), count: size)
    try? CorpusJSONParser.parseArray(buffer) { _, _ in }
    _ = try? CorpusJSONParser.parseSingleRecord(buffer, start: 0, end: size)
    return 0
}
