/// A bounds-checked reader of the protobuf wire format, just enough for ModelProto.
/// Every read checks the remaining length first, so a truncated or hostile file
/// raises `a bad-input `PipelineError`` instead of reading out of bounds.
import Failures
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    private func fail(_ what: String) -> PipelineError {
        PipelineError(.badInput, "corrupt protobuf: \(what) at byte \(position)")
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw fail("truncated varint") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw fail("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw fail("varint longer than 10 bytes") }
        }
    }

    /// Returns the field number and wire type of the next field.
    mutating func readTag() throws -> (field: UInt32, wireType: WireType) {
        let tag = try readVarint()
        guard tag >> 3 > 0, tag >> 3 <= UInt64(UInt32.max >> 3) else { throw fail("invalid field number") }
        guard let wire = WireType(rawValue: UInt8(tag & 7)) else { throw fail("invalid wire type \(tag & 7)") }
        return (UInt32(tag >> 3), wire)
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw fail("truncated fixed32") }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }

    mutating func readFloat() throws -> Float { Float(bitPattern: try readFixed32()) }

    mutating func readBool() throws -> Bool { try readVarint() != 0 }

    /// proto2 int32: negative values are sign-extended to 64 bits on the wire.
    mutating func readInt32() throws -> Int32 { Int32(truncatingIfNeeded: try readVarint()) }

    /// The byte range of a length-delimited field, checked against the enclosing message.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(end - position) else { throw fail("length \(length) runs past the end of the message") }
        let start = position
        position += Int(length)
        return start..<position
    }

    mutating func readBytes() throws -> [UInt8] { Array(bytes[try readLengthDelimited()]) }

    mutating func readString() throws -> String {
        String(decoding: bytes[try readLengthDelimited()], as: UTF8.self)
    }

    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64:
            guard end - position >= 8 else { throw fail("truncated fixed64") }
            position += 8
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .startGroup, .endGroup: throw fail("groups are not used by ModelProto")
        }
    }

    /// Reads one field of the expected wire type, or fails naming the field.
    func expect(_ actual: WireType, _ expected: WireType, field: String) throws {
        guard actual == expected else { throw fail("field \(field) has wire type \(actual.rawValue), expected \(expected.rawValue)") }
    }
}
