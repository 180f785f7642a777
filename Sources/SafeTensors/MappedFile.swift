// Read-only bytes of a file, memory-mapped so large weight files cost address space, not RAM.
import Failures
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
            let missing = errno == ENOENT
            throw PipelineError(missing ? .missingInput : .io, missing ? "no such file" : "cannot open (\(String(cString: strerror(errno))))", path: path)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw PipelineError.io("cannot stat (\(String(cString: strerror(errno))))", path: path)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw PipelineError.badInput("not a regular file", path: path) }
        count = Int(status.st_size)
        if count == 0 {
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16))
            ownsMapping = false
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw PipelineError.io("cannot memory-map (\(String(cString: strerror(errno))))", path: path)
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

    /// Drops the mapped pages this process has read from its resident memory (MADV_DONTNEED on a
    /// read-only private mapping): a later read faults them in again from the file.
    func releaseResidentPages() {
        guard ownsMapping else { return }
        madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_DONTNEED)
    }

    deinit {
        if ownsMapping {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
