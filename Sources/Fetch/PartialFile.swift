import Failures
import Foundation
import Pipeline

/// `<destination>.partial`, the file a download grows in, and its sidecar
/// `<destination>.partial.validator` recording which URL and which validator
/// (strong ETag or Last-Modified) the bytes came from, so that a later run can
/// resume with `If-Range` and never splice two versions of a file together.
struct PartialFile {
    let destination: URL

    var url: URL { URL(fileURLWithPath: destination.path + ".partial") }
    var validatorURL: URL { URL(fileURLWithPath: destination.path + ".partial.validator") }

    /// Bytes already downloaded (0 when there is no partial file).
    func size() -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The validator stored for `source`, if the partial file came from there.
    func validator(for source: URL) -> String? {
        guard let text = try? String(contentsOf: validatorURL, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0] == source.absoluteString, !lines[1].isEmpty else { return nil }
        return String(lines[1])
    }

    /// Starts an empty partial file for a fresh body from `source`.
    func restart(source: URL, validator: String?) throws {
        try? FileManager.default.removeItem(at: validatorURL)
        guard FileManager.default.createFile(atPath: url.path, contents: Data()) else {
            throw PipelineError.io("cannot create partial file", path: url.path)
        }
        if let validator {
            let record = source.absoluteString + "\n" + validator + "\n"
            do { try Data(record.utf8).write(to: validatorURL) } catch {
                throw PipelineError.io("cannot write: \(error.localizedDescription)", path: validatorURL.path)
            }
        }
    }

    func openForAppending() throws -> FileHandle {
        do {
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            return handle
        } catch {
            throw PipelineError.io("cannot open for writing: \(error.localizedDescription)", path: url.path)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.removeItem(at: validatorURL)
    }

    /// fsync, then atomically rename over the destination, then fsync the directory,
    /// so a crash leaves either the old file or the complete new one.
    func publish() throws {
        try Self.fsync(url, directory: false)
        guard rename(url.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw PipelineError.io("cannot rename partial file into place: \(reason)", path: destination.path)
        }
        try? FileManager.default.removeItem(at: validatorURL)
        try Self.fsync(destination.deletingLastPathComponent(), directory: true)
    }

    private static func fsync(_ url: URL, directory: Bool) throws {
        let fd = open(url.path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard fd >= 0 else {
            throw PipelineError.io("cannot open to sync: \(String(cString: strerror(errno)))", path: url.path)
        }
        defer { close(fd) }
        guard Foundation.fsync(fd) == 0 else {
            throw PipelineError.io("fsync failed: \(String(cString: strerror(errno)))", path: url.path)
        }
    }
}
