// A validated, memory-mapped safetensors file with typed access to its tensors.
import Failures
import Foundation

public final class SafeTensorsFile: @unchecked Sendable {
    /// Path (or label) used in error messages.
    public let file: String
    /// Tensors by name (never includes `__metadata__`).
    public let tensors: [String: TensorInfo]
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]

    private let storage: MappedFile
    private let dataStart: Int

    /// Maps `path` and validates its header; a bad file throws a bad-input `PipelineError`.
    public convenience init(path: String) throws {
        try self.init(storage: MappedFile(path: path), file: path)
    }

    /// Reads a safetensors image held in memory; `label` names it in errors.
    public convenience init(bytes: [UInt8], label: String = "<memory>") throws {
        try self.init(storage: MappedFile(bytes: bytes), file: label)
    }

    private init(storage: MappedFile, file: String) throws {
        self.storage = storage
        self.file = file
        guard storage.count >= 8 else {
            throw PipelineError.badInput("file is \(storage.count) bytes, shorter than the 8-byte header length", path: file)
        }
        let headerLength = UInt64(littleEndian: storage.base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(storage.count - 8) else {
            throw PipelineError.badInput("header length \(headerLength) exceeds the file size \(storage.count)", path: file)
        }
        guard headerLength <= UInt64(SafeTensorsHeader.maxHeaderBytes) else {
            throw PipelineError.badInput("header length \(headerLength) exceeds the 100 MB limit", path: file)
        }
        let length = Int(headerLength)
        guard length >= 2, storage.base.load(fromByteOffset: 8, as: UInt8.self) == UInt8(ascii: "{") else {
            throw PipelineError.badInput("header does not start with '{'", path: file)
        }
        dataStart = 8 + length
        let header = try SafeTensorsHeader.parse(
            UnsafeRawBufferPointer(start: storage.base + 8, count: length),
            dataSize: storage.count - dataStart, file: file)
        tensors = header.tensors
        metadata = header.metadata
    }

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else { throw PipelineError.badInput("no tensor named '\(name)'", path: file) }
        return info
    }

    /// The raw little-endian bytes of a tensor, valid while this object is alive.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let info = try info(name)
        return UnsafeRawBufferPointer(start: storage.base + dataStart + info.byteRange.lowerBound,
                                      count: info.byteRange.count)
    }

    /// Values converted to Float (F32, F16, BF16).
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        let bytes = try rawBytes(name)
        let count = info.elementCount
        switch info.dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
                initialized = count
            }
        case .bf16:
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for index in 0..<count {
                    out[index] = bf16ToFloat(bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                }
                initialized = count
            }
        case .f16:
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for index in 0..<count {
                    out[index] = f16ToFloat(bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                }
                initialized = count
            }
        case .i32, .i64, .u8:
            throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not floating point", path: file)
        }
    }

    /// The bytes of a U8 tensor.
    public func uint8s(_ name: String) throws -> [UInt8] {
        let info = try info(name)
        guard info.dtype == .u8 else { throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not U8", path: file) }
        return Array(try rawBytes(name))
    }

    /// Values of an I32 or I64 tensor as Int32 (I64 values must fit).
    public func int32s(_ name: String) throws -> [Int32] {
        let info = try info(name)
        let bytes = try rawBytes(name)
        switch info.dtype {
        case .i32:
            return (0..<info.elementCount).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        case .i64:
            return try (0..<info.elementCount).map {
                let value = bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)
                guard let narrow = Int32(exactly: value) else {
                    throw PipelineError.badInput("tensor '\(name)' value \(value) does not fit in Int32", path: file)
                }
                return narrow
            }
        default:
            throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not an integer type", path: file)
        }
    }

    /// Values of an I64 or I32 tensor as Int64.
    public func int64s(_ name: String) throws -> [Int64] {
        let info = try info(name)
        let bytes = try rawBytes(name)
        switch info.dtype {
        case .i64: return (0..<info.elementCount).map { bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        case .i32: return (0..<info.elementCount).map { Int64(bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        default:
            throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not an integer type", path: file)
        }
    }

    /// Lets go of the pages read so far (after copying what is needed): views stay valid, and fault the
    /// bytes in again from the file when read.
    public func releaseResidentPages() { storage.releaseResidentPages() }

    /// A zero-copy view of an F32 tensor in the mapping, or nil when its offset is not 4-byte aligned.
    public func float32View(_ name: String) throws -> UnsafeBufferPointer<Float>? {
        let info = try info(name)
        guard info.dtype == .f32 else {
            throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not F32", path: file)
        }
        let bytes = try rawBytes(name)
        guard Int(bitPattern: bytes.baseAddress) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return bytes.bindMemory(to: Float.self)
    }

    /// A zero-copy view of a BF16 tensor's raw 16-bit values, or nil when not 2-byte aligned.
    public func bf16View(_ name: String) throws -> UnsafeBufferPointer<UInt16>? {
        let info = try info(name)
        guard info.dtype == .bf16 else {
            throw PipelineError.badInput("tensor '\(name)' is \(info.dtype.rawValue), not BF16", path: file)
        }
        let bytes = try rawBytes(name)
        guard Int(bitPattern: bytes.baseAddress) % 2 == 0 else { return nil }
        return bytes.bindMemory(to: UInt16.self)
    }
}
