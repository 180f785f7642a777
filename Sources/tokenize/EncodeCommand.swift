import ArgumentParser
import SentencePiece

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Read lines from stdin, print one line of space-separated ids (or pieces) per input line.")

    @OptionGroup var model: ModelOption

    @Flag(help: "Print pieces instead of ids.")
    var pieces = false

    func run() throws {
        let processor = try model.load()
        let workspace = SentencePieceProcessor.Workspace()
        var output = OutputBuffer()
        var ids: [Int32] = []
        for line in readStandardInputLines() {
            line.withUnsafeBufferPointer { utf8 in
                if pieces {
                    let encoded = processor.encodeWithOffsets(utf8: utf8, workspace: workspace)
                    output.append(encoded.map(\.piece).joined(separator: " ").utf8)
                } else {
                    ids.removeAll(keepingCapacity: true)
                    processor.encode(utf8: utf8, appendingTo: &ids, workspace: workspace)
                    output.append(ids.map(String.init).joined(separator: " ").utf8)
                }
            }
            output.append([0x0A])
        }
        output.flush()
    }
}
