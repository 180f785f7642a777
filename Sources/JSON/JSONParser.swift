/// The project's one JSON reader: strict RFC 8259 over bytes already checked to be UTF-8, with a depth
/// limit (hostile input cannot exhaust the stack) and byte offsets in its errors. Every JSON file the
/// pipeline reads goes through it (`JSONValue.parse`, `JSONValue.forEachElement`, `JSONLines`), so
/// they all share one set of rules:
/// - raw control characters inside strings, a byte-order mark anywhere but the start of a corpus
///   array, trailing data and bad escapes are syntax errors;
/// - integers stay `.int` (a `32.0` stays a double), numbers beyond Double's range are errors;
/// - two things the grammar allows but this project refuses by default: a key repeated in one object,
///   and a `\uD800`–`\uDFFF` escape that is not half of a pair (UTF-8 cannot spell it). With
///   `irregularities: .record` they are noted instead (the last value of a repeated key is kept, as
///   Python's json does; a lone surrogate reads as U+FFFD), so a corpus reader can reject one record
///   rather than the whole file.
struct JSONParser {
    enum IrregularityPolicy { case refuse, record }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    private let end: Int
    private let maxDepth: Int
    private let policy: IrregularityPolicy
    /// What a `.record` parse met, in order.
    private(set) var irregularities: [JSONIrregularity] = []
    /// Object keys from the value being parsed down to the current place (for irregularities).
    private var keyPath: [String] = []
    /// Reused for strings with escapes, so decoding does not allocate per escape.
    private var scratch: [UInt8] = []

    /// `bytes[start..<end]` must be valid UTF-8 (`UTF8Validation`): strings are copied without rechecking.
    init(_ bytes: UnsafeBufferPointer<UInt8>, start: Int = 0, end: Int? = nil, maxDepth: Int = 64,
         irregularities: IrregularityPolicy = .refuse) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
        self.maxDepth = maxDepth
        self.policy = irregularities
    }

    var atEnd: Bool { position >= end }
    var peek: UInt8? { position < end ? bytes[position] : nil }

    mutating func advance() { position += 1 }

    /// Starts a new top-level value: forgets the previous one's irregularities.
    mutating func resetIrregularities() { irregularities.removeAll(keepingCapacity: true) }

    func syntaxError(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, reason: position >= end ? reason + " (unexpected end of data)" : reason)
    }

    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func skipByteOrderMark() {
        if end - position >= 3, bytes[position] == 0xEF, bytes[position + 1] == 0xBB, bytes[position + 2] == 0xBF {
            position += 3
        }
    }

    /// Parses one value at the current position (after whitespace); `depth` counts the enclosing containers.
    mutating func parseValue(depth: Int = 0) throws(JSONSyntaxError) -> JSONValue {
        guard depth < maxDepth else { throw syntaxError("nesting deeper than \(maxDepth) levels") }
        guard let byte = peek else { throw syntaxError("expected a value") }
        switch byte {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw syntaxError("expected a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") { position += 1; return .object(fields) }
        while true {
            guard peek == UInt8(ascii: "\"") else { throw syntaxError("expected a field name in quotes") }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw syntaxError("expected ':' after field name") }
            position += 1
            skipWhitespace()
            keyPath.append(key)
            let value = try parseValue(depth: depth + 1)
            if fields.updateValue(value, forKey: key) != nil {
                guard policy == .record else { throw JSONSyntaxError(offset: keyOffset, reason: "duplicate key \"\(key)\"") }
                irregularities.append(JSONIrregularity(kind: .duplicateKey, keyPath: keyPath))
            }
            keyPath.removeLast()
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
            } else if peek == UInt8(ascii: "}") {
                position += 1
                return .object(fields)
            } else {
                throw syntaxError("expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
            } else if peek == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            } else {
                throw syntaxError("expected ',' or ']' in array")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { throw syntaxError("invalid literal") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { throw syntaxError("invalid literal") }
        position += count
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        func digits() -> Int {
            let first = position
            while let b = peek, b >= 48, b <= 57 { position += 1 }
            return position - first
        }
        var isInteger = true
        if peek == UInt8(ascii: "-") { position += 1 }
        if peek == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw syntaxError("invalid number")
        }
        if peek == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard digits() > 0 else { throw syntaxError("invalid number: digits expected after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw syntaxError("invalid number: digits expected in exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else {
            throw JSONSyntaxError(offset: start, reason: "number out of range")
        }
        return .double(d)
    }

    /// Decodes the string literal at the current position (its opening quote).
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        var runStart = position
        var escaped = false
        while true {
            guard position < end else { throw syntaxError("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
                position += 1
                guard escaped else { return String(decoding: run, as: UTF8.self) }
                scratch.append(contentsOf: run)
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                if !escaped {
                    scratch.removeAll(keepingCapacity: true)
                    escaped = true
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                try decodeEscape()
                runStart = position
                continue
            }
            if byte < 0x20 {
                throw syntaxError("raw control character 0x\(String(byte, radix: 16)) in a string (must be escaped)")
            }
            position += 1
        }
    }

    private mutating func decodeEscape() throws(JSONSyntaxError) {
        guard let byte = peek else { throw syntaxError("unterminated escape") }
        position += 1
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
            let escapeStart = position - 2
            var unit = try hex4()
            var lone = false
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                if end - position >= 6, bytes[position] == 92, bytes[position + 1] == UInt8(ascii: "u") {
                    let save = position
                    position += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        position = save
                        lone = true
                    }
                } else {
                    lone = true
                }
            } else if (0xDC00...0xDFFF).contains(unit) {
                lone = true
            }
            if lone {
                guard policy == .record else {
                    throw JSONSyntaxError(offset: escapeStart, reason: "lone UTF-16 surrogate escape (not representable in UTF-8)")
                }
                irregularities.append(JSONIrregularity(kind: .loneSurrogate, keyPath: keyPath))
                unit = 0xFFFD
            }
            appendUTF8(unit)
        default:
            position -= 1
            throw syntaxError("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
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

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard end - position >= 4 else { throw syntaxError("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case 48...57: digit = UInt32(b - 48)
            case 65...70: digit = UInt32(b - 55)
            case 97...102: digit = UInt32(b - 87)
            default: throw syntaxError("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}

/// Where and why a parse stopped; the public entry points turn it into a `PipelineError` naming the line.
struct JSONSyntaxError: Error {
    var offset: Int
    var reason: String
}

/// Something RFC 8259's grammar allows but a strict parse refuses, noted by a lenient one.
public struct JSONIrregularity: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A key repeated in one object (the last value was kept).
        case duplicateKey
        /// A `\uD800`–`\uDFFF` escape that is not half of a pair (read as U+FFFD).
        case loneSurrogate
    }

    public var kind: Kind
    /// The object keys from the parsed value down to the place: for a duplicate, ending with that key.
    public var keyPath: [String]

    public init(kind: Kind, keyPath: [String]) {
        self.kind = kind
        self.keyPath = keyPath
    }
}
