import Foundation

extension JSONValue {
    /// Parses a complete JSON text. Nesting deeper than `maxDepth` is rejected, so hostile
    /// input cannot exhaust the stack.
    public init(parsing data: Data, maxDepth: Int = 64) throws {
        var parser = JSONParser(bytes: [UInt8](data), maxDepth: maxDepth)
        self = try parser.parseDocument()
    }
}

/// A strict RFC 8259 parser over bytes with byte offsets in its errors.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    mutating func parseDocument() throws -> JSONValue {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw Failure(message: "trailing characters", offset: position) }
        return value
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw Failure(message: "nesting deeper than \(maxDepth)", offset: position) }
        skipWhitespace()
        guard position < bytes.count else { throw Failure(message: "unexpected end", offset: position) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try parseNumber()
        }
    }

    private mutating func expect(_ word: String) throws {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
            throw Failure(message: "unexpected character", offset: position)
        }
        position += w.count
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(fields) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw Failure(message: "expected a string key", offset: position)
            }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw Failure(message: "expected ':'", offset: position)
            }
            position += 1
            guard fields[key] == nil else { throw Failure(message: "duplicate key \"\(key)\"", offset: keyOffset) }
            fields[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard position < bytes.count else { throw Failure(message: "unexpected end", offset: position) }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(fields) }
            throw Failure(message: "expected ',' or '}'", offset: position)
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw Failure(message: "unexpected end", offset: position) }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw Failure(message: "expected ',' or ']'", offset: position)
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
              let v = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw Failure(message: "bad \\u escape", offset: position)
        }
        position += 4
        return v
    }

    private mutating func parseString() throws -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ end: Int) throws {
            guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw Failure(message: "invalid UTF-8 in string", offset: runStart)
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw Failure(message: "unterminated string", offset: start) }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                try flush(position)
                position += 1
                return String(scalars)
            }
            if b < 0x20 { throw Failure(message: "control character in string", offset: position) }
            if b != UInt8(ascii: "\\") { position += 1; continue }
            try flush(position)
            position += 1
            guard position < bytes.count else { throw Failure(message: "unterminated string", offset: start) }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw Failure(message: "unpaired surrogate", offset: position)
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure(message: "unpaired surrogate", offset: position) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw Failure(message: "invalid code point", offset: position) }
                scalars.append(scalar)
            default: throw Failure(message: "bad escape", offset: position - 1)
            }
            runStart = position
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let s = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            return position - s
        }
        let intStart = position
        let intDigits = digits()
        guard intDigits > 0, !(intDigits > 1 && bytes[intStart] == UInt8(ascii: "0")) else {
            throw Failure(message: "invalid number", offset: start)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard digits() > 0 else { throw Failure(message: "invalid number", offset: start) }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw Failure(message: "invalid number", offset: start) }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw Failure(message: "number out of range", offset: start) }
        return .double(d)
    }
}
