import Foundation
import Pipeline

/// A parsed `Content-Range` response header: `bytes 100-199/1000`, `bytes 100-199/*`
/// or (with 416) `bytes */1000`.
struct ContentRange: Equatable {
    var first: Int?
    var last: Int?
    var total: Int?

    init(first: Int?, last: Int?, total: Int?) {
        self.first = first
        self.last = last
        self.total = total
    }

    init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let halves = spec.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        if halves[1] == "*" {
            total = nil
        } else {
            guard let t = Int(halves[1]), t >= 0 else { return nil }
            total = t
        }
        if halves[0] == "*" {
            first = nil
            last = nil
        } else {
            let ends = halves[0].split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2, let a = Int(ends[0]), let b = Int(ends[1]), a >= 0, b >= a else { return nil }
            if let total, b >= total { return nil }
            first = a
            last = b
        }
    }
}
