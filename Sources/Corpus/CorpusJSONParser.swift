/// A strict RFC 8259 JSON reader specialised for corpus files: an array of
/// records (or one record per JSONL line), each checked to be
/// `{"id": string, "dialogue": string, "summary": string}`.
///
/// Why not JSONSerialization: we need the exact byte offset of syntax errors,
/// the index of each bad record, a depth limit, a defined duplicate-key rule and
/// a defined lone-surrogate rule. Policies:
/// - other fields are allowed and ignored (after being syntax-checked);
/// - a duplicated `id`/`dialogue`/`summary` key makes the record invalid;
/// - a `\uD800`–`\uDFFF` escape that is not part of a surrogate pair cannot be
///   written as UTF-8, so a kept field containing one makes the record invalid
///   (it is never replaced silently);
/// - raw control characters inside strings and invalid UTF-8 are syntax errors;
/// - nesting deeper than 64 levels is a syntax error (no unbounded recursion).
struct CorpusJSONParser {
    struct Malformed: Error {
        var offset: Int
        var reason: String
    }

    typealias RecordResult = Result<DialogueRecord, RecordProblem>

    struct RecordProblem: Error {
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos: Int
    private let end: Int
    /// Reused for strings with escapes, so decoding does not allocate per escape.
    private var scratch: [UInt8] = []
    private static let maxDepth = 64

    init(_ bytes: UnsafeBufferPointer<UInt8>, start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.pos = start
        self.end = end ?? bytes.count
    }

    // MARK: Entry points

    /// Parses a whole JSON array of records, calling `visit` with each record's
    /// index and whether it is valid, in order.
    static func parseArray(_ bytes: UnsafeBufferPointer<UInt8>,
                           visit: (Int, RecordResult) -> Void) throws(Malformed) {
        if let bad = UTF8Validation.firstInvalidOffset(bytes) {
            throw Malformed(offset: bad, reason: "invalid UTF-8")
        }
        var parser = CorpusJSONParser(bytes)
        parser.skipByteOrderMark()
        parser.skipWhitespace()
        guard parser.peek == UInt8(ascii: "[") else {
            throw Malformed(offset: parser.pos, reason: "expected '[' (the file must be a JSON array of records)")
        }
        parser.pos += 1
        parser.skipWhitespace()
        if parser.peek == UInt8(ascii: "]") {
            parser.pos += 1
        } else {
            var index = 0
            while true {
                visit(index, try parser.parseRecord())
                index += 1
                parser.skipWhitespace()
                if parser.peek == UInt8(ascii: ",") {
                    parser.pos += 1
                    parser.skipWhitespace()
                } else if parser.peek == UInt8(ascii: "]") {
                    parser.pos += 1
                    break
                } else {
                    throw parser.malformed("expected ',' or ']' after record \(index - 1)")
                }
            }
        }
        parser.skipWhitespace()
        guard parser.pos == parser.end else { throw parser.malformed("unexpected data after the array") }
    }

    /// Parses exactly one record spanning `start..<end` (a JSONL line).
    static func parseSingleRecord(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int)
        throws(Malformed) -> RecordResult {
        var parser = CorpusJSONParser(bytes, start: start, end: end)
        parser.skipWhitespace()
        let result = try parser.parseRecord()
        parser.skipWhitespace()
        guard parser.pos == end else { throw parser.malformed("unexpected data after the record") }
        return result
    }

    /// "line L, column C" (1-based, column in bytes) for an offset, for messages.
    static func position(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return "line \(line), column \(offset - lineStart + 1)"
    }

    // MARK: Records

    private enum FieldValue {
        case string(String, loneSurrogate: Bool)
        case other(kind: String)
    }

    private mutating func parseRecord() throws(Malformed) -> RecordResult {
        guard peek == UInt8(ascii: "{") else {
            let kind = try skipValue(depth: 1)
            return .failure(RecordProblem(reason: "record is \(kind), not an object"))
        }
        pos += 1
        var id: FieldValue?
        var dialogue: FieldValue?
        var summary: FieldValue?
        var problems: [String] = []
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            pos += 1
        } else {
            while true {
                guard peek == UInt8(ascii: "\"") else { throw malformed("expected a field name in quotes") }
                let (key, _) = try parseString()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw malformed("expected ':' after field name") }
                pos += 1
                skipWhitespace()
                if key == "id" || key == "dialogue" || key == "summary" {
                    let value: FieldValue
                    if peek == UInt8(ascii: "\"") {
                        let (text, lone) = try parseString()
                        value = .string(text, loneSurrogate: lone)
                    } else {
                        value = .other(kind: try skipValue(depth: 2))
                    }
                    let previous: FieldValue?
                    switch key {
                    case "id": previous = id; id = value
                    case "dialogue": previous = dialogue; dialogue = value
                    default: previous = summary; summary = value
                    }
                    if previous != nil { problems.append("duplicate field '\(key)'") }
                } else {
                    _ = try skipValue(depth: 2)
                }
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    pos += 1
                    skipWhitespace()
                } else if peek == UInt8(ascii: "}") {
                    pos += 1
                    break
                } else {
                    throw malformed("expected ',' or '}' in record")
                }
            }
        }
        var values: [String] = []
        for (name, field) in [("id", id), ("dialogue", dialogue), ("summary", summary)] {
            switch field {
            case nil:
                problems.append("missing field '\(name)'")
            case .other(let kind)?:
                problems.append("field '\(name)' is \(kind), not a string")
            case .string(_, true)?:
                problems.append("field '\(name)' contains a lone UTF-16 surrogate escape, not representable in UTF-8")
            case .string(let text, false)?:
                values.append(text)
            }
        }
        guard problems.isEmpty else { return .failure(RecordProblem(reason: problems.joined(separator: ", "))) }
        return .success(DialogueRecord(id: values[0], dialogue: values[1], summary: values[2]))
    }

    // MARK: Values

    private var peek: UInt8? { pos < end ? bytes[pos] : nil }

    private func malformed(_ reason: String) -> Malformed {
        Malformed(offset: pos, reason: pos >= end ? reason + " (unexpected end of data)" : reason)
    }

    private mutating func skipWhitespace() {
        while pos < end {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func skipByteOrderMark() {
        if end - pos >= 3, bytes[pos] == 0xEF, bytes[pos + 1] == 0xBB, bytes[pos + 2] == 0xBF { pos += 3 }
    }

    /// Skips any JSON value and says what it was ("a number", "null", ...).
    private mutating func skipValue(depth: Int) throws(Malformed) -> String {
        guard depth <= Self.maxDepth else { throw malformed("nesting deeper than \(Self.maxDepth) levels") }
        guard let byte = peek else { throw malformed("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try parseString()
            return "a string"
        case UInt8(ascii: "{"):
            pos += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") { pos += 1; return "an object" }
            while true {
                guard peek == UInt8(ascii: "\"") else { throw malformed("expected a field name in quotes") }
                _ = try parseString()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw malformed("expected ':' after field name") }
                pos += 1
                skipWhitespace()
                _ = try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") { pos += 1; skipWhitespace(); continue }
                if peek == UInt8(ascii: "}") { pos += 1; return "an object" }
                throw malformed("expected ',' or '}' in object")
            }
        case UInt8(ascii: "["):
            pos += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { pos += 1; return "an array" }
            while true {
                _ = try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") { pos += 1; skipWhitespace(); continue }
                if peek == UInt8(ascii: "]") { pos += 1; return "an array" }
                throw malformed("expected ',' or ']' in array")
            }
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return "a boolean"
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return "a boolean"
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
            return "a number"
        default:
            throw malformed("expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Malformed) {
        let count = literal.utf8CodeUnitCount
        guard end - pos >= count else { throw malformed("invalid literal") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[pos + $0] == expected[$0] }
        }
        guard matches else { throw malformed("invalid literal") }
        pos += count
    }

    private mutating func skipNumber() throws(Malformed) {
        func digits() -> Int {
            let start = pos
            while let b = peek, b >= 48, b <= 57 { pos += 1 }
            return pos - start
        }
        if peek == UInt8(ascii: "-") { pos += 1 }
        if peek == UInt8(ascii: "0") {
            pos += 1
        } else if digits() == 0 {
            throw malformed("invalid number")
        }
        if peek == UInt8(ascii: ".") {
            pos += 1
            guard digits() > 0 else { throw malformed("invalid number: digits expected after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            pos += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw malformed("invalid number: digits expected in exponent") }
        }
    }

    /// Decodes a string literal at `pos` (which is at its opening quote). The
    /// buffer was validated as UTF-8 up front, so raw runs are copied as they are.
    private mutating func parseString() throws(Malformed) -> (String, loneSurrogate: Bool) {
        pos += 1
        var runStart = pos
        var escaped = false
        var lone = false
        while true {
            guard pos < end else { throw malformed("unterminated string") }
            let byte = bytes[pos]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<pos])
                pos += 1
                guard escaped else { return (String(decoding: run, as: UTF8.self), false) }
                scratch.append(contentsOf: run)
                return (String(decoding: scratch, as: UTF8.self), lone)
            }
            if byte == UInt8(ascii: "\\") {
                if !escaped {
                    scratch.removeAll(keepingCapacity: true)
                    escaped = true
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<pos]))
                pos += 1
                try decodeEscape(loneSurrogate: &lone)
                runStart = pos
                continue
            }
            if byte < 0x20 {
                throw malformed("raw control character 0x\(String(byte, radix: 16)) in a string (must be escaped)")
            }
            pos += 1
        }
    }

    private mutating func decodeEscape(loneSurrogate: inout Bool) throws(Malformed) {
        guard let byte = peek else { throw malformed("unterminated escape") }
        pos += 1
        switch byte {
        case UInt8(ascii: "\""): scratch.append(34)
        case UInt8(ascii: "\\"): scratch.append(92)
        case UInt8(ascii: "/"): scratch.append(47)
        case UInt8(ascii: "b"): scratch.append(8)
        case UInt8(ascii: "f"): scratch.append(12)
        case UInt8(ascii: "n"): scratch.append(10)
        case UInt8(ascii: "r"): scratch.append(13)
        case UInt8(ascii: "t"): scratch.append(9)
        case UInt8(ascii: "u"):
            var unit = try hex4()
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                if end - pos >= 6, bytes[pos] == 92, bytes[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                        loneSurrogate = true
                        unit = 0xFFFD
                    }
                } else {
                    loneSurrogate = true
                    unit = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(unit) {
                loneSurrogate = true
                unit = 0xFFFD
            }
            appendUTF8(unit)
        default:
            pos -= 1
            throw malformed("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    /// Appends a Unicode scalar value (never a surrogate here) as UTF-8.
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    private mutating func hex4() throws(Malformed) -> UInt32 {
        guard end - pos >= 4 else { throw malformed("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let digit: UInt32
            switch b {
            case 48...57: digit = UInt32(b - 48)
            case 65...70: digit = UInt32(b - 55)
            case 97...102: digit = UInt32(b - 87)
            default: throw malformed("invalid \\u escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }
}
