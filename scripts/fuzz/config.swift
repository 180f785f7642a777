// libFuzzer harness: a pipeline configuration through Pipeline/PipelineConfig.swift's reader (YAML through Yams, the
// nesting bound, duplicate keys, the alias budget, the schema's types, ranges and bounds), with make's SET string
// (OverrideList, then each --set) on the input's first line. The reader's neighbours in the Pipeline module are
// replaced by the two small definitions below; `base:` names a folder that does not exist, so nothing is read.
import Foundation
import Failures

enum StageRun {
    static func resolve(_ path: String, in root: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }
}

public struct StageOptions {
    public var configFile: String?
    public func allOverrides() throws -> [String] { [] }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let newline = bytes.firstIndex(of: 10) ?? size
    let sets = String(decoding: bytes[..<newline], as: UTF8.self)
    let text = String(decoding: bytes[min(size, newline + 1)...], as: UTF8.self)
    let folder = URL(fileURLWithPath: "/nonexistent-fuzz-folder")
    var origins: [String: String] = [:]
    guard let flat = try? PipelineConfig.parseFlat(text: text, origin: "fuzz.yaml", folder: folder, origins: &origins),
          let overrides = try? OverrideList.split(sets) else { return 0 }
    _ = try? PipelineConfig.finish(flat, origins: origins, overrides: overrides, path: "fuzz.yaml", folder: folder)
    return 0
}
