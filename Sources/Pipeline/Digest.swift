import Crypto
import Failures
import Foundation

/// SHA-256 helpers: every stage key and every output hash in the project is one of these,
/// as lowercase hex.
public enum Digest {
    public static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    public static func sha256(_ string: String) -> String {
        sha256(Data(string.utf8))
    }

    /// Streams the file in 4 MiB chunks, so a 1 GB model costs no memory.
    public static func sha256(fileAt url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw PipelineError.missingInput("cannot open file", path: url.path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 4 << 20) } catch {
                throw PipelineError.io("read failed: \(error.localizedDescription)", path: url.path)
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest {
            out.append(table[Int(b >> 4)])
            out.append(table[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
