import Failures
import Foundation

extension JSONValue {
    /// Parses a complete JSON text strictly (see `JSONParser`); a leading byte-order mark is refused like
    /// any other stray byte. A failure is a bad-input error naming `path` and the line and column.
    public static func parse(_ data: Data, path: String? = nil, maxDepth: Int = 64) throws -> JSONValue {
        try withValidatedUTF8(data, path: path) { buffer throws(PipelineError) in
            var parser = JSONParser(buffer, maxDepth: maxDepth)
            do throws(JSONSyntaxError) {
                parser.skipWhitespace()
                let value = try parser.parseValue()
                parser.skipWhitespace()
                guard parser.atEnd else { throw parser.syntaxError("unexpected data after the value") }
                return value
            } catch {
                throw malformed(error, in: buffer, path: path)
            }
        }
    }

    /// Parses a JSON array (a leading byte-order mark allowed, as Python's json writes some corpora) and
    /// calls `visit` with each element's index, its value and what a strict parse would have refused in
    /// it, so the caller can reject one element instead of the file. A syntax error anywhere fails the whole.
    public static func forEachElement(ofArrayIn data: Data, path: String? = nil, maxDepth: Int = 64,
                                      _ visit: (Int, JSONValue, [JSONIrregularity]) throws -> Void) throws {
        try withValidatedUTF8(data, path: path) { buffer in
            var parser = JSONParser(buffer, maxDepth: maxDepth, irregularities: .record)
            var visitFailure: Error?
            do throws(JSONSyntaxError) {
                parser.skipByteOrderMark()
                parser.skipWhitespace()
                guard parser.peek == UInt8(ascii: "[") else {
                    throw parser.syntaxError("expected '[' (the file must be a JSON array)")
                }
                parser.advance()
                parser.skipWhitespace()
                if parser.peek == UInt8(ascii: "]") {
                    parser.advance()
                } else {
                    var index = 0
                    elements: while true {
                        parser.resetIrregularities()
                        let value = try parser.parseValue(depth: 1)
                        do { try visit(index, value, parser.irregularities) } catch {
                            visitFailure = error
                            break elements
                        }
                        index += 1
                        parser.skipWhitespace()
                        if parser.peek == UInt8(ascii: ",") {
                            parser.advance()
                            parser.skipWhitespace()
                        } else if parser.peek == UInt8(ascii: "]") {
                            parser.advance()
                            break
                        } else {
                            throw parser.syntaxError("expected ',' or ']' after element \(index - 1)")
                        }
                    }
                }
                if visitFailure == nil {
                    parser.skipWhitespace()
                    guard parser.atEnd else { throw parser.syntaxError("unexpected data after the array") }
                }
            } catch {
                throw malformed(error, in: buffer, path: path)
            }
            if let visitFailure { throw visitFailure }
        }
    }

    /// "malformed JSON at line L, column C (byte N): reason" (1-based; the column counts bytes).
    static func malformed(_ error: JSONSyntaxError, in bytes: UnsafeBufferPointer<UInt8>, path: String?) -> PipelineError {
        PipelineError.badInput("malformed JSON at \(position(of: error.offset, in: bytes)) (byte \(error.offset)): \(error.reason)",
                               path: path)
    }

    static func position(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return "line \(line), column \(offset - lineStart + 1)"
    }

    /// Runs `body` on `data`'s bytes once they are known to be UTF-8 (the parser copies strings unchecked).
    /// `lines`: name a bad byte as JSON Lines errors do ("line L, column C: malformed JSON: …").
    static func withValidatedUTF8<T>(_ data: Data, path: String?, lines: Bool = false,
                                     _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        try data.withUnsafeBytes { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            if let bad = UTF8Validation.firstInvalidOffset(buffer) {
                let error = JSONSyntaxError(offset: bad, reason: "invalid UTF-8")
                throw lines ? JSONLines.malformed(error, in: buffer, path: path) : malformed(error, in: buffer, path: path)
            }
            return try body(buffer)
        }
    }
}
