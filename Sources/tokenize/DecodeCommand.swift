import ArgumentParser
import Failures
import SentencePiece

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Read lines of space-separated ids from stdin, print the decoded text of each.")

    @OptionGroup var model: ModelOption

    func run() throws {
        let processor = try model.load()
        var output = OutputBuffer()
        for (number, line) in readStandardInputLines().enumerated() {
            var ids: [Int32] = []
            for field in line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                guard let id = Int32(String(decoding: field, as: UTF8.self)) else {
                    throw fail(PipelineError.badInput("stdin line \(number + 1): '\(String(decoding: field.prefix(40), as: UTF8.self))' is not an id"))
                }
                ids.append(id)
            }
            do {
                output.append(try processor.decode(ids).utf8)
            } catch {
                throw fail(PipelineError.badInput("stdin line \(number + 1): \(PipelineError(classifying: error).message)"))
            }
            output.append([0x0A])
        }
        output.flush()
    }
}
