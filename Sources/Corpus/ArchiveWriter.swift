import CArchive
import Failures
import Foundation

/// Writes archives with libarchive, byte-reproducibly: entries in the given
/// order, a fixed mtime, fixed permissions, no owner names, no atime/ctime.
public enum ArchiveWriter {
    public enum Format: String, Sendable, CaseIterable {
        case sevenZip = "7z"
        case zip
        /// POSIX ustar.
        case tar
    }

    /// 2019-11-27 00:00:00 UTC, the day SAMSum was published: the fixed mtime of every entry.
    public static let fixedModificationTime: Int = 1_574_812_800

    /// The archive bytes holding `entries` (name, contents) in order.
    public static func archive(_ entries: [(name: String, contents: Data)], format: Format = .sevenZip) throws -> Data {
        guard let archive = archive_write_new() else { throw PipelineError.internal("libarchive: out of memory") }
        defer { archive_write_free(archive) }
        try check(archive, setFormat(archive, format), "cannot select format \(format.rawValue)")
        if format == .sevenZip {
            // Pinned, not left to libarchive's defaults, so the bytes stay stable.
            try check(archive, archive_write_set_format_option(archive, "7zip", "compression", "lzma2"),
                      "cannot set 7z compression")
            try check(archive, archive_write_set_format_option(archive, "7zip", "compression-level", "9"),
                      "cannot set 7z compression level")
        }
        if format != .tar {
            // libarchive pads output to 10 KiB blocks by default, a tar convention
            // that would leave zeros after a 7z or zip.
            try check(archive, archive_write_set_bytes_in_last_block(archive, 1), "cannot disable padding")
        }
        let sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(archive, archive_write_open2(archive, context, nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            sink.data.append(buffer.assumingMemoryBound(to: UInt8.self), count: length)
            return la_ssize_t(length)
        }, nil, nil), "cannot open archive for writing")

        for (name, contents) in entries {
            guard let entry = archive_entry_new() else { throw PipelineError.internal("libarchive: out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, name)
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_size(entry, la_int64_t(contents.count))
            archive_entry_set_mtime(entry, time_t(fixedModificationTime), 0)
            try check(archive, archive_write_header(archive, entry), "cannot add \(name)")
            try contents.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = archive_write_data(archive, raw.baseAddress! + offset, raw.count - offset)
                    guard n > 0 else { throw failure(archive, "cannot write \(name)") }
                    offset += n
                }
            }
        }
        try check(archive, archive_write_close(archive), "cannot finish archive")
        return sink.data
    }

    /// Writes the archive to `url` atomically (temporary file, then rename).
    public static func write(_ entries: [(name: String, contents: Data)], format: Format = .sevenZip,
                             to url: URL) throws {
        let bytes = try archive(entries, format: format)
        do { try bytes.write(to: url, options: .atomic) } catch {
            throw PipelineError.io("cannot write archive: \(error.localizedDescription)", path: url.path)
        }
    }

    private final class Sink { var data = Data() }

    private static func setFormat(_ archive: OpaquePointer, _ format: Format) -> Int32 {
        switch format {
        case .sevenZip: return archive_write_set_format_7zip(archive)
        case .zip: return archive_write_set_format_zip(archive)
        case .tar: return archive_write_set_format_ustar(archive)
        }
    }

    private static func check(_ archive: OpaquePointer, _ status: Int32, _ what: String) throws {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure(archive, what) }
    }

    private static func failure(_ archive: OpaquePointer, _ what: String) -> PipelineError {
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no detail"
        return PipelineError.internal("libarchive: \(what): \(detail)")
    }
}
