extension JSONValue {
    /// How strings are escaped: the two spellings of Python's `json.dumps`, so a file this project writes
    /// has the bytes the reference tools write for the same values. `.minimal` is `ensure_ascii=False`:
    /// `"` and `\` escaped, `\b \f \n \r \t` by name, other controls as `\u00xx`, everything else raw
    /// UTF-8 (manifests, stage keys, safetensors headers, the corpus and every JSONL file). `.python` is
    /// the default `ensure_ascii=True`: also every scalar outside ' '...'~' as `\uxxxx` (UTF-16 units),
    /// which is how PEFT's adapter_config.json is written.
    public enum StringEscaping: Sendable { case minimal, python }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string to UTF-8 bytes.
    public static func appendString(_ s: String, escaping: StringEscaping = .minimal, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Unescaped runs are copied whole; only the rare escapes go byte by byte.
            var runStart = 0
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                let needsEscape = byte < 0x20 || byte == 0x22 || byte == 0x5C || (escaping == .python && byte > 0x7E)
                guard needsEscape else { i += 1; continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                if byte < 0x80 {
                    appendEscape(byte, to: &out)
                    i += 1
                } else {
                    // A non-ASCII scalar under `.python`: its UTF-16 units as \uxxxx.
                    let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                    let scalar = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<i + length]), as: UTF8.self)
                    for unit in scalar.utf16 { appendUnicodeEscape(unit, to: &out) }
                    i += length
                }
                runStart = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `s` as a quoted JSON string.
    public static func writeString(_ s: String, escaping: StringEscaping = .minimal, into out: inout String) {
        var bytes: [UInt8] = []
        appendString(s, escaping: escaping, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// `s` as a quoted JSON string (`.minimal` escaping).
    public static func quoted(_ s: String) -> String {
        var out = ""
        writeString(s, into: &out)
        return out
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(92); out.append(byte)
        case 0x0A: out.append(92); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(92); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(92); out.append(UInt8(ascii: "t"))
        case 0x08: out.append(92); out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(92); out.append(UInt8(ascii: "f"))
        default: appendUnicodeEscape(UInt16(byte), to: &out)
        }
    }

    private static func appendUnicodeEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out.append(92)
        out.append(UInt8(ascii: "u"))
        for shift in [12, 8, 4, 0] { out.append(hexDigits[Int(unit >> UInt16(shift)) & 15]) }
    }
}
