import Foundation

// The pipeline's forms: canonical (hashed into stage keys, so equal parameter sets give equal keys
// on every machine) and pretty (manifests, lock, metrics).
extension JSONValue {
    /// Canonical form: keys sorted by code point, no spaces, shortest round-trip doubles.
    public var canonical: String {
        var out = ""
        write(into: &out, indent: nil, level: 0)
        return out
    }

    /// Human-readable form (two-space indent, sorted keys): manifests, lock, metrics.
    public var pretty: String {
        var out = ""
        write(into: &out, indent: "  ", level: 0)
        return out + "\n"
    }

    private func write(into out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite { out += d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)" }
            else { out += "null" }  // JSON has no Inf/NaN
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            guard !a.isEmpty else { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                v.write(into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .object(let o):
            guard !o.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                JSONValue.writeString(k, into: &out)
                out += indent == nil ? ":" : ": "
                o[k]!.write(into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }
}
