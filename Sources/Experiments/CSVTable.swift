/// Comma-separated values as RFC 4180 defines them: CRLF after every record, and a field that holds a
/// comma, a double quote, CR or LF quoted, its quotes doubled.
enum CSVTable {
    static func render(_ records: [[String]]) -> String {
        records.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
