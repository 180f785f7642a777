import Failures
import Foundation
import JSON

/// `pipeline.lock`: for every stage instance, its key, the parameters it read and the
/// hashes of its outputs. Small, sorted, committed by the user (like dvc.lock), so that
/// `git diff pipeline.lock` shows what a change of settings changed.
public struct LockFile {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The lock file that belongs to a config file: pipeline.yaml -> pipeline.lock,
    /// pipeline.demo.yaml -> pipeline.demo.lock.
    public static func path(forConfig config: String) -> String {
        var p = config
        for ext in [".yaml", ".yml"] where p.hasSuffix(ext) { p.removeLast(ext.count) }
        return p + ".lock"
    }

    /// For an error that found no run: the other configurations in `folder` whose locks record a scored run,
    /// as " (pipeline.demo.lock records a run: --config pipeline.demo.yaml, CONFIG=pipeline.demo.yaml in make)";
    /// "" when there are none. A user who ran only the demo is told where the run is.
    public static func hintAtOtherRuns(in folder: URL, except lock: URL?) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var configs: [(lock: String, config: String)] = []
        for name in names.sorted() where name.hasSuffix(".lock") {
            let url = folder.appendingPathComponent(name)
            guard url.standardizedFileURL.path != lock?.standardizedFileURL.path,
                  LockFile(url: url).read()["score-rouge"]?["key"]?.stringValue != nil else { continue }
            let stem = String(name.dropLast(".lock".count))
            guard let config = [stem + ".yaml", stem + ".yml"].first(where: {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }) else { continue }
            configs.append((name, config))
        }
        guard !configs.isEmpty else { return "" }
        return " (" + configs.map { "\($0.lock) records a run: --config \($0.config), CONFIG=\($0.config) in make" }
            .joined(separator: "; ") + ")"
    }

    public func read() -> [String: JSONValue] {
        guard let data = try? Data(contentsOf: url), let v = try? JSONValue.parse(data) else { return [:] }
        return v["stages"]?.objectValue ?? [:]
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
