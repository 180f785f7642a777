import Failures
import Foundation
import JSON
import SafeTensors

/// One tokenised split: for every kept example its source ids (prompt + dialogue + `</s>`)
/// and label ids (summary + `</s>`), stored ragged — all sequences concatenated, plus
/// offsets — in a safetensors file, so the file is mmap-able and language-neutral.
///
///     source_ids     I32 [total source tokens]    source_offsets I64 [n + 1]
///     label_ids      I32 [total label tokens]     label_offsets  I64 [n + 1]
///     example_index  I32 [n]  (line number in the split's JSONL)
///     __metadata__   format, example ids (JSON), tokenizer SHA-256, parameters
public struct TokenFile: Equatable, Sendable {
    public static let format = "flan-lora-tokens/1"

    public var ids: [String]
    public var exampleIndex: [Int32]
    public var sources: [[Int32]]
    public var labels: [[Int32]]
    /// Free-form provenance: tokenizer hash, prompt, lengths, truncation counts.
    public var metadata: [String: String]

    public init(ids: [String], exampleIndex: [Int32], sources: [[Int32]], labels: [[Int32]], metadata: [String: String]) {
        self.ids = ids
        self.exampleIndex = exampleIndex
        self.sources = sources
        self.labels = labels
        self.metadata = metadata
    }

    public var count: Int { ids.count }

    public func serialized() throws -> [UInt8] {
        var meta = metadata
        meta["format"] = TokenFile.format
        meta["ids"] = JSONValue.array(ids.map { .string($0) }).canonical
        var w = SafeTensorsWriter(metadata: meta)
        let (src, srcOff) = TokenFile.flatten(sources)
        let (lab, labOff) = TokenFile.flatten(labels)
        try w.add("source_ids", shape: [src.count], int32s: src)
        try w.add("source_offsets", shape: [srcOff.count], int64s: srcOff)
        try w.add("label_ids", shape: [lab.count], int32s: lab)
        try w.add("label_offsets", shape: [labOff.count], int64s: labOff)
        try w.add("example_index", shape: [exampleIndex.count], int32s: exampleIndex)
        return w.serialized()
    }

    public func write(to url: URL) throws {
        try Data(serialized()).write(to: url)
    }

    /// Reads and validates a token file: offsets monotone and inside the id arrays,
    /// counts consistent, ids within `vocabularySize` when given.
    public static func read(path: String, vocabularySize: Int? = nil) throws -> TokenFile {
        let f = try SafeTensorsFile(path: path)
        func bad(_ why: String) -> PipelineError { PipelineError.badInput(why, path: path) }
        guard f.metadata["format"] == format else {
            throw bad("not a token file of this pipeline (format \(f.metadata["format"] ?? "missing"), expected \(format))")
        }
        guard let idsText = f.metadata["ids"], let list = (try? JSONValue.parse(Data(idsText.utf8)))?.arrayValue,
              case let ids = list.compactMap(\.stringValue), ids.count == list.count else {
            throw bad("metadata 'ids' is not a JSON list of strings")
        }
        for name in ["source_ids", "source_offsets", "label_ids", "label_offsets", "example_index"] where f.tensors[name] == nil {
            throw bad("tensor '\(name)' is missing")
        }
        let sources = try split(try f.int32s("source_ids"), try f.int64s("source_offsets"), bad, "source")
        let labels = try split(try f.int32s("label_ids"), try f.int64s("label_offsets"), bad, "label")
        let index = try f.int32s("example_index")
        guard sources.count == ids.count, labels.count == ids.count, index.count == ids.count else {
            throw bad("counts disagree: \(ids.count) ids, \(sources.count) sources, \(labels.count) labels, \(index.count) indices")
        }
        if let v = vocabularySize {
            for seq in sources + labels {
                if let t = seq.first(where: { $0 < 0 || Int($0) >= v }) {
                    throw bad("token id \(t) is outside the model's vocabulary of \(v) (a token file from another tokenizer?)")
                }
            }
        }
        var meta = f.metadata
        meta["format"] = nil
        meta["ids"] = nil
        return TokenFile(ids: ids, exampleIndex: index, sources: sources, labels: labels, metadata: meta)
    }

    static func flatten(_ seqs: [[Int32]]) -> ([Int32], [Int64]) {
        var flat = [Int32](), offsets: [Int64] = [0]
        flat.reserveCapacity(seqs.reduce(0) { $0 + $1.count })
        for s in seqs {
            flat += s
            offsets.append(Int64(flat.count))
        }
        return (flat, offsets)
    }

    static func split(_ flat: [Int32], _ offsets: [Int64], _ bad: (String) -> PipelineError, _ what: String) throws -> [[Int32]] {
        guard offsets.first == 0, offsets.last == Int64(flat.count) else {
            throw bad("\(what)_offsets do not span \(what)_ids")
        }
        var out = [[Int32]]()
        out.reserveCapacity(max(0, offsets.count - 1))
        for i in 1..<max(1, offsets.count) {
            guard offsets[i] >= offsets[i - 1] else { throw bad("\(what)_offsets decrease at \(i)") }
            out.append(Array(flat[Int(offsets[i - 1])..<Int(offsets[i])]))
        }
        return out
    }
}
