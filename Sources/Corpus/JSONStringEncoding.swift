/// JSON string literals exactly as Python's `json.dumps(..., ensure_ascii=False)`
/// writes them: `"` and `\` escaped, `\b \f \n \r \t` by name, other controls as
/// lowercase `\u00xx`, everything else (including `/`, DEL and non-ASCII) raw UTF-8.
/// One spelling per string, so equal records always give equal bytes.
enum JSONStringEncoding {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Bytes that need an escape: controls, `"` and `\\`.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C
    }

    static func append(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            // Copy unescaped runs whole; only the rare escapes go byte by byte.
            var runStart = 0
            for i in 0..<bytes.count where needsEscape(bytes[i]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                appendEscape(bytes[i], to: &out)
                runStart = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(92)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            out.append(UInt8(ascii: "u"))
            out.append(48)
            out.append(48)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
    }
}
