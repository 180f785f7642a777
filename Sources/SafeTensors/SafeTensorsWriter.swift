// Builds a safetensors file with deterministic bytes: tensors laid out in sorted-name order,
// header keys sorted, header padded with spaces to a multiple of 8 bytes (as the format allows).
import Failures
import Foundation
import JSON

public struct SafeTensorsWriter {
    private struct Entry {
        let dtype: DType
        let shape: [Int]
        let bytes: [UInt8]
    }

    private var entries: [String: Entry] = [:]
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds raw little-endian bytes; the byte count must match dtype and shape.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__", !name.isEmpty else {
            throw PipelineError.badInput("reserved or empty tensor name", path: name)
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) * dtype.size == bytes.count else {
            throw PipelineError.badInput("\(bytes.count) bytes do not fit \(dtype.rawValue)\(shape)", path: name)
        }
        entries[name] = Entry(dtype: dtype, shape: shape, bytes: bytes)
    }

    public mutating func add(_ name: String, shape: [Int], floats: [Float], as dtype: DType = .f32) throws {
        var bytes: [UInt8] = []
        switch dtype {
        case .f32: bytes = floats.withUnsafeBytes { Array($0) }
        case .bf16: bytes = floats.map(floatToBF16).withUnsafeBytes { Array($0) }
        case .f16: bytes = floats.map(floatToF16).withUnsafeBytes { Array($0) }
        case .i32, .i64, .u8: throw PipelineError.badInput("cannot store floats as \(dtype.rawValue)", path: name)
        }
        try add(name, dtype: dtype, shape: shape, bytes: bytes)
    }

    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) throws {
        try add(name, dtype: .i32, shape: shape, bytes: int32s.withUnsafeBytes { Array($0) })
    }

    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) throws {
        try add(name, dtype: .i64, shape: shape, bytes: int64s.withUnsafeBytes { Array($0) })
    }

    /// The complete file image.
    public func serialized() -> [UInt8] {
        let names = entries.keys.sorted()
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONValue.quoted($0)):\(JSONValue.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let entry = entries[name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONValue.quoted(name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
            offset += entry.bytes.count
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var image: [UInt8] = []
        image.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { image.append(contentsOf: $0) }
        image.append(contentsOf: header)
        for name in names { image.append(contentsOf: entries[name]!.bytes) }
        return image
    }

    /// Writes the file atomically (temporary file, then rename).
    public func write(to path: String) throws {
        do {
            try Data(serialized()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PipelineError.io("cannot write (\(error.localizedDescription))", path: path)
        }
    }
}
