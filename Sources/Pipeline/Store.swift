import Failures
import Foundation
import JSON

/// The content-addressed store: `data/store/<key>/` holds one stage run's outputs.
///
///     <key>/outputs/<name>   the files, read-only once published
///     <key>/entry.json       name -> sha256, size, stat identity (what "verifies" means)
///     <key>/manifest.json    how the entry was computed (timings, host, versions)
///
/// An entry appears only through rename(2) of a complete, fsynced temp directory, so a
/// run that dies leaves no entry; its temp directory is swept by the next run.
public struct Store: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    var tmpRoot: URL { root.appendingPathComponent(".tmp") }
    var hashCache: HashCache { HashCache(directory: root.appendingPathComponent(".hashes")) }

    public func entry(_ key: String) -> URL { root.appendingPathComponent(key) }
    public func outputs(_ key: String) -> URL { entry(key).appendingPathComponent("outputs") }

    /// Runs `body` holding the key's exclusive lock (`.locks/<key>`, flock(2): released when the
    /// process dies). Every run of a key looks up, computes, publishes and exposes under it, so two
    /// processes of one stage (make -j, two terminals, a shared store) never race: the second
    /// waits, then finds the first one's entry (a cache hit), and `--force` swaps an entry while
    /// no other run of the key is between its look-up and its exposure.
    func withKeyLock<T>(_ key: String, waiting: () -> Void = {}, _ body: () throws -> T) throws -> T {
        let dir = root.appendingPathComponent(".locks")
        try AtomicFile.createDirectory(dir)
        let path = dir.appendingPathComponent(key).path
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.io("cannot open the key's lock: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            waiting()
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else { throw PipelineError.io("cannot lock: \(String(cString: strerror(errno)))", path: path) }
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Persistent scratch space for one key (training checkpoints), kept across kills.
    public func workDirectory(_ key: String) -> URL { root.appendingPathComponent(".work/\(key)") }

    struct EntryFile: Codable {
        struct File: Codable { var sha256: String; var size: Int64; var identity: FileIdentity? }
        var stage: String
        var key: String
        var files: [String: File]
    }

    /// A fresh temp directory for computing `key`; its name carries our pid so that a later
    /// run can tell a dead run's leftovers from a live concurrent one.
    func makeTemp(for key: String) throws -> URL {
        let dir = tmpRoot.appendingPathComponent("\(key).\(getpid()).\(UInt32.random(in: 0...UInt32.max))")
        try AtomicFile.createDirectory(dir.appendingPathComponent("outputs"))
        return dir
    }

    /// Removes temp directories whose owning process no longer exists.
    func sweepDeadTemps() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmpRoot.path) else { return }
        for name in names {
            let parts = name.split(separator: ".")
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: tmpRoot.appendingPathComponent(name))
            }
        }
    }

    /// Hashes every file under `temp/outputs`, writes entry.json, fsyncs, renames into place.
    /// Returns name -> sha256.
    func publish(temp: URL, stage: String, key: String, manifest: JSONValue) throws -> [String: String] {
        let files = try hashOutputs(temp.appendingPathComponent("outputs"))
        var record = EntryFile(stage: stage, key: key, files: [:])
        for (name, (sha, size)) in files {
            let url = temp.appendingPathComponent("outputs/\(name)")
            chmod(url.path, 0o444)  // outputs are hard-linked to stable paths: discourage edits
            AtomicFile.fsyncFile(url)
            record.files[name] = .init(sha256: sha, size: size, identity: FileIdentity(path: url.path))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try enc.encode(record), to: temp.appendingPathComponent("entry.json"))
        try AtomicFile.write(manifest.pretty, to: temp.appendingPathComponent("manifest.json"))
        AtomicFile.fsyncDirectory(temp.appendingPathComponent("outputs"))
        let dest = entry(key)
        if FileManager.default.fileExists(atPath: dest.path) {
            // --force over an existing entry: move it aside first, so the swap is one rename.
            let trash = tmpRoot.appendingPathComponent("\(key).\(getpid()).old")
            try AtomicFile.rename(dest, to: trash)
            try? FileManager.default.removeItem(at: trash)
        }
        try AtomicFile.rename(temp, to: dest)
        AtomicFile.fsyncDirectory(root)
        return files.mapValues(\.0)
    }

    func hashOutputs(_ dir: URL) throws -> [String: (String, Int64)] {
        var out: [String: (String, Int64)] = [:]
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        let base = dir.standardizedFileURL.path + "/"
        for case let url as URL in e {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(base.count))
            out[name] = (try Digest.sha256(fileAt: url), FileIdentity(path: url.path)?.size ?? 0)
        }
        return out
    }

    /// The hashes the entry recorded when it was published (nil: no entry), without checking the files.
    func recordedHashes(_ key: String) -> [String: String]? {
        guard let data = try? Data(contentsOf: entry(key).appendingPathComponent("entry.json")),
              let e = try? JSONDecoder().decode(EntryFile.self, from: data) else { return nil }
        return e.files.mapValues(\.sha256)
    }

    /// The entry's file hashes if it exists and every file still has its recorded content.
    /// Unchanged stat data is trusted; a changed file is rehashed.
    func verifiedEntry(_ key: String) -> [String: String]? {
        let dir = entry(key)
        guard let data = try? Data(contentsOf: dir.appendingPathComponent("entry.json")),
              let e = try? JSONDecoder().decode(EntryFile.self, from: data) else { return nil }
        for (name, f) in e.files {
            let url = dir.appendingPathComponent("outputs/\(name)")
            guard let id = FileIdentity(path: url.path), id.size == f.size else { return nil }
            if id != f.identity, (try? Digest.sha256(fileAt: url)) != f.sha256 { return nil }
        }
        return e.files.mapValues(\.sha256)
    }

    func manifest(_ key: String) -> JSONValue? {
        guard let data = try? Data(contentsOf: entry(key).appendingPathComponent("manifest.json")) else { return nil }
        return try? JSONValue.parse(data)
    }

    /// Moves a corrupt entry out of the way so it is recomputed.
    func discard(_ key: String) {
        let trash = tmpRoot.appendingPathComponent("\(key).\(getpid()).bad")
        try? AtomicFile.createDirectory(tmpRoot)
        if (try? AtomicFile.rename(entry(key), to: trash)) != nil {
            try? FileManager.default.removeItem(at: trash)
        }
    }

    /// Exposes a stored file at its stable path: a hard link (no copy of a 1 GB model),
    /// or a copy where links are impossible; replaced atomically either way.
    func expose(key: String, name: String, at stable: URL) throws {
        let src = outputs(key).appendingPathComponent(name)
        if let a = FileIdentity(path: src.path), let b = FileIdentity(path: stable.path), a.inode == b.inode {
            return  // already this entry's file (rename(2) between two links of one inode is a no-op)
        }
        try AtomicFile.createDirectory(stable.deletingLastPathComponent())
        AtomicFile.sweepDeadTemporaries(beside: stable)
        let tmp = stable.deletingLastPathComponent().appendingPathComponent(".\(stable.lastPathComponent).link-\(getpid())")
        try? FileManager.default.removeItem(at: tmp)
        if link(src.path, tmp.path) != 0 {
            do { try FileManager.default.copyItem(at: src, to: tmp) } catch {
                throw PipelineError.io("cannot expose output: \(error.localizedDescription)", path: stable.path)
            }
        }
        try AtomicFile.rename(tmp, to: stable)
    }
}
