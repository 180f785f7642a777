import Foundation

extension JSONValue {
    /// How strings are escaped. `.minimal` escapes only what RFC 8259 requires, so UTF-8 text
    /// stays readable (manifests, stage keys, safetensors headers). `.python` is json.dumps's
    /// default, ensure_ascii: \\b and \\f too, and every scalar outside ' '...'~' as \\uXXXX
    /// (UTF-16 units), which is how PEFT's adapter_config.json is written.
    public enum StringEscaping: Sendable { case minimal, python }

    /// Appends `s` as a quoted JSON string.
    public static func writeString(_ s: String, escaping: StringEscaping = .minimal, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}" where escaping == .python: out += "\\b"
            case "\u{0C}" where escaping == .python: out += "\\f"
            case _ where scalar.value < 0x20 || (escaping == .python && scalar.value > 0x7E):
                for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `s` as a quoted JSON string (`.minimal` escaping).
    public static func quoted(_ s: String) -> String {
        var out = ""
        writeString(s, into: &out)
        return out
    }
}
