import CArchive
import Failures
import Foundation

/// Reads selected regular-file entries of any archive libarchive understands
/// (7z, zip, tar, compressed tars) into memory. Nothing is ever written to disk.
struct ArchiveReader {
    struct Limits: Sendable {
        /// Largest accepted entry, checked against the header and again while reading.
        var maxEntryBytes: Int
        /// Most headers to walk before declaring the archive hostile.
        var maxEntries: Int
    }

    struct Contents {
        /// Wanted entries by their (safe) name.
        var files: [String: [UInt8]]
        /// Everything skipped, with why: unsafe names, unexpected files, non-files.
        var ignored: [String]
    }

    /// `path` names the archive in errors. `wanted` are exact entry names.
    static func read(_ data: Data, path: String, wanted: Set<String>, limits: Limits) throws -> Contents {
        guard let archive = archive_read_new() else { throw PipelineError.internal("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_all(archive)
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Contents in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw corrupt(archive, path, "cannot open archive")
            }
            return try readEntries(archive, path: path, wanted: wanted, limits: limits)
        }
    }

    private static func readEntries(_ archive: OpaquePointer, path: String, wanted: Set<String>,
                                    limits: Limits) throws -> Contents {
        var contents = Contents(files: [:], ignored: [])
        var entry: OpaquePointer?
        var seen = 0
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw corrupt(archive, path, "corrupt or truncated archive")
            }
            seen += 1
            guard seen <= limits.maxEntries else {
                throw PipelineError.badInput("archive has more than \(limits.maxEntries) entries", path: path)
            }
            let rawName = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry))
                .map { String(cString: $0) } ?? ""
            let isRegularFile = archive_entry_filetype(entry) == regularFileType
            guard let name = ArchiveEntryName.safe(rawName) else {
                contents.ignored.append("\(rawName) (unsafe name)")
                try skip(archive, path)
                continue
            }
            guard wanted.contains(name), isRegularFile else {
                contents.ignored.append(isRegularFile ? name : "\(name) (not a regular file)")
                try skip(archive, path)
                continue
            }
            guard contents.files[name] == nil else {
                throw PipelineError.badInput("archive holds \(name) twice", path: path)
            }
            if archive_entry_size_is_set(entry) != 0, archive_entry_size(entry) > Int64(limits.maxEntryBytes) {
                throw PipelineError.badInput("\(name) is \(archive_entry_size(entry)) bytes, over the limit of"
                                             + " \(limits.maxEntryBytes)", path: path)
            }
            contents.files[name] = try readData(archive, name: name, path: path, limit: limits.maxEntryBytes,
                                                sizeHint: Int(max(0, min(archive_entry_size(entry), Int64(limits.maxEntryBytes)))))
        }
        return contents
    }

    /// `AE_IFREG` (a cast macro Swift does not import): S_IFREG, 0100000.
    private static let regularFileType: mode_t = 0o100000

    private static func readData(_ archive: OpaquePointer, name: String, path: String, limit: Int,
                                 sizeHint: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(sizeHint)
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, chunk) }
            if n == 0 { break }
            guard n > 0 else { throw corrupt(archive, path, "cannot read \(name)") }
            guard out.count + n <= limit else {
                throw PipelineError.badInput("\(name) is larger than the limit of \(limit) bytes", path: path)
            }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    private static func skip(_ archive: OpaquePointer, _ path: String) throws {
        let status = archive_read_data_skip(archive)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN || status == ARCHIVE_EOF else {
            throw corrupt(archive, path, "corrupt or truncated archive")
        }
    }

    private static func corrupt(_ archive: OpaquePointer, _ path: String, _ what: String) -> PipelineError {
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no detail"
        return PipelineError.badInput("\(what): \(detail)", path: path)
    }
}
