import Foundation

// PEFT's form: adapter_config.json as Python's json.dumps(indent=2, sort_keys=True) writes it.
extension JSONValue {
    /// Python's `json.dumps(self, indent=2, sort_keys=True)` (ensure_ascii, repr floats).
    public func pythonJSON() -> String {
        var out = ""
        writePython(into: &out, level: 0)
        return out
    }

    private func writePython(into out: inout String, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.pythonRepr(d)
        case .string(let s): Self.writeString(s, escaping: .python, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += String(repeating: " ", count: 2 * (level + 1))
                item.writePython(into: &out, level: level + 1)
            }
            out += "\n" + String(repeating: " ", count: 2 * level) + "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{"
            // Python sorts keys by code point.
            let keys = fields.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for (i, key) in keys.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += String(repeating: " ", count: 2 * (level + 1))
                Self.writeString(key, escaping: .python, into: &out)
                out += ": "
                fields[key]!.writePython(into: &out, level: level + 1)
            }
            out += "\n" + String(repeating: " ", count: 2 * level) + "}"
        }
    }

    /// Python's float repr: shortest round-trip digits, exponent form below 1e-4 or from 1e16.
    /// Swift's `description` uses the same digits and thresholds; non-finite values are not JSON.
    static func pythonRepr(_ d: Double) -> String {
        precondition(d.isFinite, "JSON has no representation for \(d)")
        return d.description
    }
}
