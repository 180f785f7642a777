import Failures
import Foundation

/// Writing files so that a reader never sees half of one: write a temp file in the same
/// directory, fsync it, rename it over the target, fsync the directory.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try createDirectory(dir)
        sweepDeadTemporaries(beside: url)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw PipelineError.io("cannot create file", path: tmp.path)
        }
        do {
            let h = try FileHandle(forWritingTo: tmp)
            try h.write(contentsOf: data)
            try h.synchronize()
            try h.close()
            try rename(tmp, to: url)
        } catch let e as PipelineError {
            try? FileManager.default.removeItem(at: tmp)
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw PipelineError.io("write failed: \(error.localizedDescription)", path: url.path)
        }
        fsyncDirectory(dir)
    }

    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// Removes the temporaries a killed process left beside `url` (`.<name>.tmp-<pid>-…` from `write`,
    /// `.<name>.link-<pid>` from the store's exposure): those whose process no longer exists.
    static func sweepDeadTemporaries(beside url: URL) {
        let dir = url.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for marker in [".\(url.lastPathComponent).tmp-", ".\(url.lastPathComponent).link-"] {
            for name in names where name.hasPrefix(marker) {
                guard let pid = Int32(name.dropFirst(marker.count).prefix(while: \.isNumber)), pid != getpid(),
                      kill(pid, 0) != 0, errno == ESRCH else { continue }
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }

    /// rename(2): atomic within one file system, replaces an existing file.
    public static func rename(_ from: URL, to: URL) throws {
        if Foundation.rename(from.path, to.path) != 0 {
            throw PipelineError.io("cannot rename into place: \(String(cString: strerror(errno)))", path: to.path)
        }
    }

    public static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw PipelineError.io("cannot create directory", path: url.path)
        }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk.
    public static func fsyncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    public static func fsyncFile(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// What `stat` says about a file, enough to tell whether it changed since we hashed it.
struct FileIdentity: Codable, Equatable {
    var size: Int64
    var mtimeNanos: Int64
    var inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        size = Int64(st.st_size)
        mtimeNanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
    }
}
