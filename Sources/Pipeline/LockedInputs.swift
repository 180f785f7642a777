import Failures
import Foundation

/// Where a stage reads a file another stage made: the store entry of the run that this configuration's lock
/// records as that file's producer, not the stable path. Two configurations sharing `paths.data` (each with its own
/// lock) then cannot read each other's outputs, and a stable file edited by hand is not used silently: in five of
/// six rounds of `make all` on two configs at once, one config's score-rouge scored the other's predictions.
///
/// A file no run of this configuration recorded (placed by hand, or made outside the pipeline) is read where it is.
/// A recorded file the store no longer holds is read at its stable path only if it still has the recorded bytes.
public struct LockedInputs: Sendable {
    struct Producer: Sendable {
        var instance: String
        var key: String
        var sha256: String
    }

    /// Absolute standardized stable path -> the run that recorded it.
    let producers: [String: Producer]
    let store: Store
    let lockName: String

    public init(config: PipelineConfig, store: Store) {
        var producers: [String: Producer] = [:]
        for (instance, record) in LockFile(url: config.lockURL).read() {
            guard let key = record["key"]?.stringValue, Self.isKey(key) else { continue }
            for (path, hash) in record["outputs"]?.objectValue ?? [:] {
                guard let sha = hash.stringValue else { continue }
                producers[config.resolve(path).standardizedFileURL.path] = Producer(instance: instance, key: key, sha256: sha)
            }
        }
        self.producers = producers
        self.store = store
        lockName = config.lockURL.lastPathComponent
    }

    /// A lock is a user's file: a key becomes a path in the store only if it is a SHA-256 in hex.
    public static func isKey(_ key: String) -> Bool {
        key.utf8.count == 64 && key.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The file to read for the input at stable `url`.
    public func source(of url: URL) throws -> URL {
        guard let producer = producers[url.standardizedFileURL.path] else { return url }
        let name = url.lastPathComponent
        if store.verifiedEntry(producer.key)?[name] == producer.sha256 {
            return store.outputs(producer.key).appendingPathComponent(name)
        }
        if (try? store.hashCache.sha256(of: url)) == producer.sha256 { return url }
        throw PipelineError.missingInput("not the output \(producer.instance) recorded in \(lockName) (changed since, or written by "
                                         + "another configuration sharing paths.data), and the store no longer holds that run: "
                                         + "rerun \(producer.instance)", path: url.path)
    }
}
