/// How a report is printed.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// Aligned plain-text columns for a terminal.
    case table
    /// A GitHub-flavoured Markdown table, for papers' drafts and pull requests.
    case markdown
    /// The machine-readable JSON.
    case json
}

/// Rows of cells laid out as aligned text or as a Markdown table.
public struct TextTable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    public mutating func append(_ row: [String]) { rows.append(row) }

    public func render(markdown: Bool) -> String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        if markdown {
            func line(_ cells: [String]) -> String {
                "| " + (0..<columns).map { $0 < cells.count ? cells[$0].replacingOccurrences(of: "|", with: "\\|") : "" }
                    .joined(separator: " | ") + " |"
            }
            let rule = "|" + (0..<columns).map { $0 == 0 ? " --- |" : " ---: |" }.joined()
            return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
        }
        let widths = (0..<columns).map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var out = ""
            for c in 0..<columns {
                let cell = c < cells.count ? cells[c] : ""
                let padding = String(repeating: " ", count: widths[c] - cell.count)
                // First column left-aligned (labels), numbers right-aligned.
                out += c == 0 ? cell + padding : padding + cell
                if c + 1 < columns { out += "   " }
            }
            return out
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Number formatting shared by the printed tables.
public enum Figures {
    public static func value(_ x: Double) -> String { fixed(x, signed: false) }
    public static func signed(_ x: Double) -> String { fixed(x, signed: true) }

    /// Four decimals, like the reference's reported figures.
    public static func fixed(_ x: Double, signed: Bool) -> String {
        let scaled = (abs(x) * 10_000).rounded()
        let whole = Int(scaled) / 10_000
        let fraction = Int(scaled) % 10_000
        let digits = String(fraction)
        let sign = x < 0 && scaled != 0 ? "-" : (signed ? "+" : "")
        return "\(sign)\(whole).\(String(repeating: "0", count: 4 - digits.count))\(digits)"
    }

    public static func interval(_ low: Double, _ high: Double, signed: Bool) -> String {
        "[\(fixed(low, signed: signed)), \(fixed(high, signed: signed))]"
    }

    public static func share(_ x: Double) -> String {
        let scaled = Int((x * 1000).rounded())
        let digits = String(scaled % 1000)
        return "\(scaled / 1000).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }
}
