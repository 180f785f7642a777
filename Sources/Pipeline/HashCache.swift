import Failures
import Foundation

/// Remembers the SHA-256 of input files by (path, size, mtime, inode), so that a stage
/// whose inputs are a 1 GB model does not rehash it on every cache hit. A changed file
/// (any of the four differs) is hashed again.
struct HashCache {
    let directory: URL

    private struct Entry: Codable {
        var identity: FileIdentity
        var sha256: String
    }

    func sha256(of url: URL) throws -> String {
        let path = url.standardizedFileURL.path
        guard let id = FileIdentity(path: path) else {
            throw PipelineError.missingInput("input file does not exist", path: url.path)
        }
        let slot = directory.appendingPathComponent(Digest.sha256(path) + ".json")
        if let data = try? Data(contentsOf: slot),
           let e = try? JSONDecoder().decode(Entry.self, from: data), e.identity == id {
            return e.sha256
        }
        let digest = try Digest.sha256(fileAt: url)
        if let data = try? JSONEncoder().encode(Entry(identity: id, sha256: digest)) {
            try? AtomicFile.write(data, to: slot)
        }
        return digest
    }
}
