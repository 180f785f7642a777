// Read-only bytes of a file, memory-mapped so large weight files cost address space, not RAM.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let ownsMapping: Bool

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw SafeTensorsError(file: path, "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafeTensorsError(file: path, "cannot stat (\(String(cString: strerror(errno))))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError(file: path, "not a regular file") }
        count = Int(status.st_size)
        if count == 0 {
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16))
            ownsMapping = false
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError(file: path, "cannot memory-map (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(mapped)
        ownsMapping = true
    }

    /// An in-memory copy (used for data that never touched disk, e.g. in tests).
    init(bytes: [UInt8]) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(buffer)
        count = bytes.count
        ownsMapping = false
    }

    deinit {
        if ownsMapping {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
