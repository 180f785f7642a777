import Failures
import Foundation
import JSON

/// `pipeline.lock`: for every stage instance, its key, the parameters it read and the
/// hashes of its outputs. Small, sorted, committed by the user (like dvc.lock), so that
/// `git diff pipeline.lock` shows what a change of settings changed.
///
/// Its name and its reading live here only: a lock on disk (the stages, status, the report) and one read
/// from git at a revision (`score-rouge params diff`, `pipeline-report --compare`) go through `stages(in:)`.
public struct LockFile {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The endings of a configuration file that its lock's name replaces with `.lock`.
    static let configExtensions = [".yaml", ".yml"]

    /// The lock file that belongs to a config file: pipeline.yaml (or pipeline.yml) -> pipeline.lock,
    /// pipeline.demo.yaml -> pipeline.demo.lock.
    public static func path(forConfig config: String) -> String {
        var p = config
        for ext in configExtensions where p.hasSuffix(ext) { p.removeLast(ext.count) }
        return p + ".lock"
    }

    /// The config files a lock can belong to, the inverse of `path(forConfig:)`: pipeline.lock ->
    /// pipeline.yaml, pipeline.yml; nil for a name that is not a lock's.
    public static func configNames(forLock lock: String) -> [String]? {
        guard lock.hasSuffix(".lock") else { return nil }
        let stem = lock.dropLast(".lock".count)
        return configExtensions.map { stem + $0 }
    }

    /// For an error that found no run: the other configurations in `folder` whose locks record a scored run,
    /// as " (pipeline.demo.lock records a run: --config pipeline.demo.yaml, CONFIG=pipeline.demo.yaml in make)";
    /// "" when there are none. A user who ran only the demo is told where the run is.
    public static func hintAtOtherRuns(in folder: URL, except lock: URL?) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var configs: [(lock: String, config: String)] = []
        for name in names.sorted() {
            guard let candidates = configNames(forLock: name) else { continue }
            let url = folder.appendingPathComponent(name)
            guard url.standardizedFileURL.path != lock?.standardizedFileURL.path,
                  LockFile(url: url).read()["score-rouge"]?["key"]?.stringValue != nil,
                  let config = candidates.first(where: {
                      FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
                  }) else { continue }
            configs.append((name, config))
        }
        guard !configs.isEmpty else { return "" }
        return " (" + configs.map { "\($0.lock) records a run: --config \($0.config), CONFIG=\($0.config) in make" }
            .joined(separator: "; ") + ")"
    }

    /// The stage records of a lock's bytes, by instance: `{key, params, outputs, summary}` each. Not JSON is a
    /// bad-input error naming `path`; a lock without stages records none.
    public static func stages(in data: Data, path: String? = nil) throws(PipelineError) -> [String: JSONValue] {
        let lock: JSONValue
        do { lock = try JSONValue.parse(data, path: path) } catch let error as PipelineError { throw error } catch {
            throw PipelineError(.badInput, "\(error)", path: path)
        }
        return lock["stages"]?.objectValue ?? [:]
    }

    /// The stage records on disk; none when the lock is missing or unreadable (no stage has run).
    public func read() -> [String: JSONValue] {
        guard let data = try? Data(contentsOf: url), let stages = try? Self.stages(in: data) else { return [:] }
        return stages
    }

    /// Read-modify-write under an exclusive flock, so stages run by `make -j` do not
    /// lose each other's entries; the write itself is atomic.
    public func update(instance: String, record: JSONValue) throws {
        let lockPath = url.path + ".lck"
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw PipelineError.io("cannot open lock", path: lockPath) }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        var stages = read()
        stages[instance] = record
        try AtomicFile.write(JSONValue.object(["version": 1, "stages": .object(stages)]).pretty, to: url)
    }
}
