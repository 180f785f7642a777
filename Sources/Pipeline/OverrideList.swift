import Failures

/// Several `section.key=value` overrides in one string, as make's `SET` holds them: items are separated by
/// white space outside brackets, braces and quotes, so a list or a mapping needs no escaping
/// (`lora.target_modules=[q, v] lora.rank_pattern={'decoder.*\.q': 8, wo: 16}`).
public enum OverrideList {
    public static func split(_ text: String, source: String = "SET") throws(PipelineError) -> [String] {
        var items: [String] = [], current = ""
        var closers: [Character] = []
        var quote: Character?
        for c in text {
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
                continue
            }
            switch c {
            case "'", "\"":
                quote = c
            case "[": closers.append("]")
            case "{": closers.append("}")
            case "]", "}":
                guard closers.last == c else {
                    throw PipelineError.usage("\(source): unexpected \(c) in \"\(text)\"")
                }
                closers.removeLast()
            case _ where c.isWhitespace && closers.isEmpty:
                if !current.isEmpty { items.append(current) }
                current = ""
                continue
            default: break
            }
            current.append(c)
        }
        if let quote { throw PipelineError.usage("\(source): unclosed \(quote) in \"\(text)\"") }
        if let open = closers.last { throw PipelineError.usage("\(source): \(open == "]" ? "[" : "{") not closed in \"\(text)\"") }
        if !current.isEmpty { items.append(current) }
        return items
    }
}
