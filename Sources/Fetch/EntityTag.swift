import Foundation
import Pipeline

/// HTTP entity tags (`ETag`, Hugging Face's `X-Linked-Etag`).
enum EntityTag {
    /// Strips the weak prefix `W/` and surrounding quotes: `W/"abc"` → `abc`.
    static func unquoted(_ raw: String) -> String {
        var tag = raw.trimmingCharacters(in: .whitespaces)
        if tag.hasPrefix("W/") { tag.removeFirst(2) }
        if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") {
            tag = String(tag.dropFirst().dropLast())
        }
        return tag
    }

    static func isWeak(_ raw: String) -> Bool {
        raw.trimmingCharacters(in: .whitespaces).hasPrefix("W/")
    }

    static func isSHA256Hex(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }

    /// The SHA-256 an entity tag carries, if it is one (Hugging Face LFS files).
    static func sha256(from raw: String?) -> String? {
        guard let raw else { return nil }
        let tag = unquoted(raw)
        return isSHA256Hex(tag) ? tag.lowercased() : nil
    }
}
