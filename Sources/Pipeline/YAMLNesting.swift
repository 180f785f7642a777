import Failures

/// A bound on how deeply a YAML text nests, checked before it reaches Yams: Yams parses recursively, and a config
/// nested 5,000 deep (`[[[[…]]]]`, 10 kB) overflowed the stack (a segfault, from a config, `--set`, or a committed
/// config that `score-rouge diff` reads). Flow brackets are counted outside quotes and comments; block nesting is
/// bounded by indentation (with `- ` prefixes counted as columns). Both limits are far beyond any configuration
/// and well inside the depth Yams handles (2,000 flow levels parse).
public enum YAMLNesting {
    public static let maximumFlowDepth = 128
    public static let maximumIndentation = 1_000

    public static func check(_ text: String, origin: String) throws(PipelineError) {
        var flow = 0, deepest = 0
        var quote: UInt8? = nil
        var atLineStart = true, column = 0, inComment = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                column = 0
                inComment = false
                if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") { continue }  // a quoted scalar may span lines
                continue
            }
            if atLineStart {
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\t") {
                    column += 1
                    guard column <= maximumIndentation else {
                        throw PipelineError(.usage, "YAML indented more than \(maximumIndentation) columns (nested too deeply)", path: origin)
                    }
                    continue
                }
                atLineStart = false
            }
            if inComment { continue }
            if let q = quote {
                if byte == q { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): quote = byte
            case UInt8(ascii: "#"): inComment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                deepest = max(deepest, flow)
                guard flow <= maximumFlowDepth else {
                    throw PipelineError(.usage, "YAML nested more than \(maximumFlowDepth) levels deep", path: origin)
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            default: break
            }
        }
    }
}
