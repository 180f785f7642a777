/// rouge_score 0.1.2's default tokenizer: Python `str.lower()`, every run of characters
/// outside `[a-z0-9]` becomes a separator, tokens longer than 3 characters are Porter-stemmed
/// (with `use_stemmer=True`), empty results are dropped.
///
/// It works on UTF-8 bytes. Python's `lower()` maps exactly two non-ASCII characters to
/// ASCII letters (checked over all of Unicode with Python 3.11): U+0130 'İ' -> "i" + U+0307,
/// and U+212A KELVIN SIGN -> "k". Every other non-ASCII character lowers to non-ASCII and so
/// separates tokens.
public struct RougeTokenizer: Sendable {
    public var usesStemmer: Bool

    public init(usesStemmer: Bool = true) {
        self.usesStemmer = usesStemmer
    }

    /// Calls `body` with each raw (unstemmed) lowercase token of `text`, in order.
    public static func forEachRawToken(in text: some Collection<UInt8>, _ body: ([UInt8]) -> Void) {
        var token: [UInt8] = []
        token.reserveCapacity(32)
        func flush() {
            if !token.isEmpty {
                body(token)
                token.removeAll(keepingCapacity: true)
            }
        }
        var iterator = text.makeIterator()
        // Bytes of a multi-byte sequence still to skip, and that sequence's bytes so far.
        var pending = 0
        var lead: UInt8 = 0
        var second: UInt8 = 0
        var position = 0
        while let b = iterator.next() {
            if pending > 0 {
                pending -= 1
                position += 1
                if position == 2 { second = b }
                if pending == 0 {
                    if lead == 0xC4 && position == 2 && b == 0xB0 {
                        // U+0130 -> "i" followed by a combining dot, which separates.
                        token.append(UInt8(ascii: "i"))
                        flush()
                    } else if lead == 0xE2 && second == 0x84 && b == 0xAA && position == 3 {
                        // U+212A KELVIN SIGN -> "k", part of the surrounding word.
                        token.append(UInt8(ascii: "k"))
                    } else {
                        flush()
                    }
                }
                continue
            }
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                token.append(b)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                token.append(b | 0x20)
            case 0xC0...0xDF:
                pending = 1; lead = b; position = 1
            case 0xE0...0xEF:
                pending = 2; lead = b; position = 1
            case 0xF0...0xF7:
                pending = 3; lead = b; position = 1
            default:
                flush()
            }
        }
        flush()
    }

    /// The tokens of `text` as strings, exactly as rouge_score's `tokenize` returns them.
    public func tokenize(_ text: String) -> [String] {
        let stemmer = PorterStemmer()
        var out: [String] = []
        Self.forEachRawToken(in: text.utf8) { raw in
            let token = usesStemmer && raw.count > 3 ? stemmer.stem(bytes: raw) : raw
            if !token.isEmpty { out.append(String(decoding: token, as: UTF8.self)) }
        }
        return out
    }
}
