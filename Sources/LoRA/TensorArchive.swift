import Foundation

/// A named Float32 tensor (row-major).
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) does not hold \(values.count) values")
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// How a checkpoint's tensors become one file. The checkpoint code depends only on this,
/// so a SafeTensors codec can replace `RawFloat32Codec` without touching it.
public protocol TensorArchiveCodec: Sendable {
    /// The file name used inside a checkpoint directory, e.g. `tensors.f32`.
    var fileName: String { get }
    func encode(_ tensors: [NamedTensor]) throws -> Data
    /// Decodes a file; `path` names it in errors. Must reject malformed input without crashing.
    func decode(_ data: Data, path: String) throws -> [NamedTensor]
}

/// A minimal self-describing little-endian Float32 archive:
///
///     "LORAF32\0"                       8-byte magic
///     count: UInt32                     number of tensors
///     count × { nameLength: UInt32, name: UTF-8, rank: UInt32, dims: rank × UInt64 }
///     the tensors' values, Float32 little-endian, in the same order, back to back
///
/// The file must end exactly after the last value.
public struct RawFloat32Codec: TensorArchiveCodec {
    public static let magic = Array("LORAF32\0".utf8)
    static let maxNameLength = 4096
    static let maxRank = 8

    public init() {}

    public var fileName: String { "tensors.f32" }

    public func encode(_ tensors: [NamedTensor]) throws -> Data {
        var out = Data(Self.magic)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt32(tensors.count))
        for t in tensors {
            let name = Array(t.name.utf8)
            guard name.count <= Self.maxNameLength, t.shape.count <= Self.maxRank else {
                throw LoRAError.invalidConfiguration("tensor \(t.name) has too long a name or too many dimensions")
            }
            put(UInt32(name.count))
            out.append(contentsOf: name)
            put(UInt32(t.shape.count))
            for d in t.shape { put(UInt64(d)) }
        }
        for t in tensors {
            t.values.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                out.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self),
                                               count: buffer.count * 4))
                #else
                for v in buffer { put(v.bitPattern) }
                #endif
            }
        }
        return out
    }

    public func decode(_ data: Data, path: String) throws -> [NamedTensor] {
        let bytes = [UInt8](data)
        var offset = 0
        func bad(_ m: String) -> LoRAError { .badInput("tensor archive: \(m)", path: path) }
        func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { throw bad("truncated at byte \(offset)") }
            var v: T = 0
            for i in 0..<size { v |= T(bytes[offset + i]) << (8 * i) }
            offset += size
            return v
        }
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw bad("not a LORAF32 archive")
        }
        offset = Self.magic.count
        let count = Int(try read(UInt32.self))
        // Each header takes at least 8 bytes: a count larger than that cannot be honest.
        guard count <= (bytes.count - offset) / 8 else { throw bad("claims \(count) tensors in \(bytes.count) bytes") }
        var headers: [(String, [Int])] = []
        var seen = Set<String>()
        var totalElements = 0
        for _ in 0..<count {
            let nameLength = Int(try read(UInt32.self))
            guard nameLength <= Self.maxNameLength, offset + nameLength <= bytes.count else { throw bad("bad name length \(nameLength)") }
            guard let name = String(validating: bytes[offset..<offset + nameLength], as: UTF8.self) else {
                throw bad("tensor name is not UTF-8")
            }
            offset += nameLength
            let rank = Int(try read(UInt32.self))
            guard rank <= Self.maxRank else { throw bad("tensor \(name) has rank \(rank)") }
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let d = try read(UInt64.self)
                guard d <= UInt64(bytes.count) else { throw bad("tensor \(name) has dimension \(d), larger than the file") }
                shape.append(Int(d))
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow, product <= bytes.count / 4 else { throw bad("tensor \(name) is larger than the file") }
                elements = product
            }
            totalElements += elements
            guard totalElements <= bytes.count / 4 else { throw bad("tensors are larger than the file") }
            guard seen.insert(name).inserted else { throw bad("tensor \(name) appears twice") }
            headers.append((name, shape))
        }
        guard bytes.count - offset == totalElements * 4 else {
            throw bad("holds \(bytes.count - offset) data bytes, expected \(totalElements * 4)")
        }
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(count)
        for (name, shape) in headers {
            let n = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: n)
            let start = offset
            bytes.withUnsafeBytes { raw in
                for i in 0..<n {
                    values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                }
            }
            offset += 4 * n
            tensors.append(NamedTensor(name: name, shape: shape, values: values))
        }
        return tensors
    }
}
