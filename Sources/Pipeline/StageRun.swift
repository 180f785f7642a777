import Failures
import Foundation
import JSON
import Kernels

/// One output file of a stage: its name inside the store entry and the stable path
/// (relative to the project root) where users and later stages find it.
public struct StageOutput: Sendable {
    public let name: String
    public let stablePath: String
    /// An optional output is exposed when the run wrote it (e.g. generation_config.json).
    public let isOptional: Bool
    /// False for outputs that record wall-clock facts (a training log with examples/s):
    /// `--verify` reports them but does not count their differences.
    public let isReproducible: Bool
    public init(_ name: String, at stablePath: String, optional: Bool = false, reproducible: Bool = true) {
        self.name = name
        self.stablePath = stablePath
        self.isOptional = optional
        self.isReproducible = reproducible
    }
}

/// Where a computing stage writes: files go to `url(for:)`; `workDirectory` survives a
/// killed run of the same key (checkpoints live there).
public struct StageWorkspace: Sendable {
    public let outputDirectory: URL
    public let workDirectory: URL
    public let key: String
    /// True in the second, comparison computation of `--verify`.
    public let isVerification: Bool

    public func url(for name: String) -> URL {
        let u = outputDirectory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        return u
    }
}

public struct StageResult: Sendable {
    public let key: String
    public let cacheHit: Bool
    public let seconds: Double
    public let outputs: [String: String]  // stable path -> sha256
    public let summary: JSONValue
}

/// The stage contract, shared by every executable:
///   1. read parameters (recorded) and declare inputs (hashed);
///   2. key = SHA-256(stage, format version, canonical params, input hashes);
///   3. a verified store entry for the key is relinked (cache hit); otherwise compute into a
///      temp dir, publish it atomically, expose it at the stable paths;
///   4. write the manifest next to the outputs and update the lock file.
public final class StageRun {
    public let stage: String
    /// Distinguishes two runs of one stage in a graph (generate-base, generate-lora).
    public let instance: String
    public let formatVersion: Int
    public let options: StageOptions
    public let config: PipelineConfig
    public let params: ParameterReader
    /// Fields of the stage's summary that the lock file records beside the key (e.g. train-lora's
    /// kept step): results a user diffs across commits, as deterministic as the outputs.
    public var lockedSummaryFields: [String] = []
    /// The processes computing this run (mpirun's ranks, or this one): rank 0 looks up, publishes and
    /// records; the others follow its decision and compute their share (`followLeader`).
    public var group: ProcessGroup = SingleProcess()
    public let root: URL
    public let store: Store
    /// Each input: the file read (a store entry's, see `LockedInputs`) and its stable path (the manifest records that).
    private var inputs: [(role: String, url: URL, stable: URL)] = []
    /// The producers this configuration's lock records, read when the first input is declared.
    private lazy var lockedInputs = LockedInputs(config: config, store: store)
    private var context: [String: JSONValue] = [:]
    private let started = Date()

    /// `--config` is relative to `directory` (default: the current folder); then every relative path
    /// of the run is relative to the configuration's folder, `root` (PipelineConfig's rule).
    public init(stage: String, instance: String? = nil, formatVersion: Int, options: StageOptions,
                root directory: URL? = nil) throws {
        self.stage = stage
        self.instance = instance ?? stage
        self.formatVersion = formatVersion
        self.options = options
        Progress.quietByDefault = options.quiet
        config = try PipelineConfig.load(options, in: (directory ?? StageRun.currentDirectory).standardizedFileURL)
        root = config.folder
        params = ParameterReader(config)
        store = Store(root: StageRun.resolve(config.value("paths.data").stringValue! + "/store", in: root))
    }

    public static var currentDirectory: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath) }

    /// A path given on a command line: absolute as is, otherwise relative to the current folder.
    public static func commandLinePath(_ path: String) -> String { resolve(path, in: currentDirectory).path }

    /// A path under `paths.data` (e.g. "samsum/train.jsonl").
    public func dataPath(_ relative: String) -> String { config.value("paths.data").stringValue! + "/" + relative }
    public func metricsPath(_ relative: String) -> String { config.value("paths.metrics").stringValue! + "/" + relative }

    /// Declares an input file: its SHA-256 becomes part of the key under `role`. `whenMissing` is the error
    /// message if it does not exist (default: one for a file an earlier stage makes).
    @discardableResult
    public func input(_ role: String, path: String, whenMissing: String? = nil) throws -> URL {
        let url = StageRun.resolve(path, in: root)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PipelineError.missingInput(whenMissing ?? "input of \(instance) does not exist (run the stage that makes it first)",
                                             path: path)
        }
        let source = try lockedInputs.source(of: url)
        inputs.append((role, source, url))
        return source
    }

    /// Declares the files `names` of the folder at `path` as inputs (each under its name) and returns the folder to
    /// read them from: the store entry of the run that made them all, or the stable folder.
    public func inputFolder(_ path: String, files names: [String]) throws -> URL {
        let sources = try names.map { try input($0, path: path + "/" + $0).deletingLastPathComponent().standardizedFileURL }
        guard let folder = sources.first, sources.allSatisfy({ $0 == folder }) else {
            throw PipelineError.missingInput("the files of this folder come from different runs; rerun the stage that makes it",
                                             path: path)
        }
        return folder
    }

    /// Adds a value the outputs record (e.g. the keys of the runs that made the inputs) to
    /// the key, so a cached output never carries another run's value.
    public func addToKey(_ name: String, _ value: JSONValue) { context[name] = value }

    /// Computes the key from what has been read and declared so far.
    public func key() throws -> (key: String, description: JSONValue) {
        var hashes: [String: JSONValue] = [:]
        for input in inputs { hashes[input.role] = .string(try store.hashCache.sha256(of: input.url)) }
        var desc: JSONValue = ["stage": .string(stage), "format_version": .int(formatVersion),
                               "params": params.readJSON, "inputs": .object(hashes)]
        if !context.isEmpty, case .object(var o) = desc {
            o["context"] = .object(context)
            desc = .object(o)
        }
        return (Digest.sha256(desc.canonical), desc)
    }

    /// Runs the stage: cache hit, compute, or (with --verify) recompute and compare.
    /// `compute` writes the outputs into the workspace and returns a small summary
    /// (counts, losses) recorded in the manifest.
    @discardableResult
    public func execute(outputs: [StageOutput], compute: (StageWorkspace) throws -> JSONValue) throws -> StageResult {
        let (key, desc) = try key()
        if group.size > 1 {
            guard !options.verify else { throw PipelineError.usage("--verify runs in one process, not under mpirun") }
            try agreeOnKey(key, description: desc)
            if !group.isLeader { return try followLeader(key: key, compute: compute) }
        }
        store.sweepDeadTemps()
        try AtomicFile.createDirectory(store.tmpRoot)

        return try store.withKeyLock(key, waiting: { report("\(instance): waiting for another run of \(key.prefix(12))") }) {
            if options.verify { return try verifyEntry(key: key, outputs: outputs, compute: compute) }

            var hit = false
            var hashes: [String: String]
            var summary: JSONValue
            let verified = options.force ? nil : store.verifiedEntry(key)
            if group.size > 1 { _ = try group.broadcast(["cache_hit": .bool(verified != nil)]) }
            if let cached = verified {
                hit = true
                hashes = cached
                summary = store.manifest(key)?["summary"] ?? .null
            } else {
                if !options.force, FileManager.default.fileExists(atPath: store.entry(key).path) {
                    report("\(instance): cached entry \(key.prefix(12)) failed verification; recomputing")
                    store.discard(key)
                }
                (hashes, summary) = try computeAndPublish(key: key, desc: desc, outputs: outputs, compute: compute)
            }

            var exposed: [String: String] = [:]
            var locked: [String: JSONValue] = [:]
            for o in outputs {
                guard let sha = hashes[o.name] else {
                    if o.isOptional {
                        try? FileManager.default.removeItem(at: resolve(o.stablePath))  // stale from another key
                        continue
                    }
                    throw PipelineError.internal("stage \(instance) did not write its output '\(o.name)'")
                }
                try store.expose(key: key, name: o.name, at: resolve(o.stablePath))
                exposed[o.stablePath] = sha
                // A timing log changes with every run: the lock records only what must reproduce.
                if o.isReproducible { locked[o.stablePath] = .string(sha) }
            }
            let seconds = Date().timeIntervalSince(started)
            try writeManifest(key: key, desc: desc, outputs: exposed, hit: hit, seconds: seconds, summary: summary,
                              firstOutput: outputs.first?.stablePath)
            var record: [String: JSONValue] = ["stage": .string(stage), "key": .string(key), "params": params.readJSON,
                                               "outputs": .object(locked)]
            let lockedSummary = lockedSummaryFields.compactMap { f in summary[f].map { (f, $0) } }
            if !lockedSummary.isEmpty { record["summary"] = .object(Dictionary(uniqueKeysWithValues: lockedSummary)) }
            try LockFile(url: config.lockURL).update(instance: instance, record: .object(record))
            report(String(format: "%@: %@ %@ in %.2f s", instance, hit ? "cache hit" : "computed",
                          String(key.prefix(12)), seconds))
            return StageResult(key: key, cacheHit: hit, seconds: seconds, outputs: exposed, summary: summary)
        }
    }

    /// Every rank computed its key from its own configuration and input files (a host's copy of pipeline.yaml and
    /// data/, its own --set). Before any rank computes, rank 0 compares them: ranks that disagree would publish a
    /// mixture under rank 0's key (later correct runs then hit it), or wait forever in a collective (another r or
    /// number of epochs). The verdict, naming what differs, ends every rank with the same line.
    private func agreeOnKey(_ key: String, description desc: JSONValue) throws {
        let own = Array(desc.canonical.utf8)
        let all = try group.gather(own)
        var verdict: JSONValue = ["agree": true]
        if group.isLeader {
            var differences: [String] = []
            for (rank, bytes) in all.enumerated().dropFirst() where bytes != own {
                let theirs = (try? JSONValue.parse(Data(bytes))) ?? .null
                differences += Self.differences(desc, theirs, rank: rank)
            }
            if !differences.isEmpty {
                verdict = ["agree": false, "differences": .array(differences.prefix(6).map(JSONValue.string))]
            }
        }
        verdict = try group.broadcast(verdict)
        guard verdict["agree"]?.boolValue == true else {
            let listed = (verdict["differences"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "; ")
            throw PipelineError.usage("the \(group.size) ranks of \(instance) were given different settings or inputs (\(listed)): "
                                      + "every rank must run the same configuration on the same files; nothing was computed",
                                      path: options.config)
        }
    }

    /// What differs between rank 0's key description and another rank's: parameters, then input files.
    static func differences(_ own: JSONValue, _ theirs: JSONValue, rank: Int) -> [String] {
        var out: [String] = []
        for section in ["params", "inputs", "context"] {
            let a = own[section]?.objectValue ?? [:], b = theirs[section]?.objectValue ?? [:]
            for name in Set(a.keys).union(b.keys).sorted() where a[name] != b[name] {
                let show = { (v: JSONValue?) in v.map { section == "inputs" ? String($0.canonical.prefix(14)) + "…\"" : $0.canonical } ?? "absent" }
                out.append("\(section == "inputs" ? "input " : "")\(name): rank 0 \(show(a[name])), rank \(rank) \(show(b[name]))")
            }
        }
        if out.isEmpty { out.append("the stage's format: rank 0 and rank \(rank) run different builds") }
        return out
    }

    /// A rank other than 0: the leader's cache decision, then (when it computes) the same computation into a
    /// private temp directory that is deleted afterwards. Only the leader's outputs are published. The work
    /// directory is the leader's (read for --resume: the store must be shared or copied between machines).
    private func followLeader(key: String, compute: (StageWorkspace) throws -> JSONValue) throws -> StageResult {
        let hit = try group.broadcast(.null)["cache_hit"]?.boolValue ?? false
        var summary: JSONValue = .null
        if !hit {
            Self.sweepDeadFollowerTemps()
            let temp = FileManager.default.temporaryDirectory
                .appendingPathComponent("\(Self.followerTempPrefix)\(group.rank)-\(getpid())-\(UUID().uuidString)")
            try AtomicFile.createDirectory(temp.appendingPathComponent("outputs"))
            // removed on return, on error, and on SIGINT/SIGTERM (then exit 130), like the leader's temp folders
            let cleanup = TempDirectoryGuard(temp)
            defer { cleanup.remove() }
            summary = try compute(StageWorkspace(outputDirectory: temp.appendingPathComponent("outputs"),
                                                 workDirectory: store.workDirectory(key), key: key, isVerification: false))
        }
        return StageResult(key: key, cacheHit: hit, seconds: Date().timeIntervalSince(started), outputs: [:], summary: summary)
    }

    static let followerTempPrefix = "flan-lora-rank"

    /// A follower killed with SIGKILL (or by the OOM killer) cannot remove its temp folder; the next follower on the
    /// same host removes those whose process is gone. The system temp folder is the host's own, so the pid in a
    /// name is a pid of this host (a store shared between hosts could not be swept this way).
    static func sweepDeadFollowerTemps() {
        let root = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        for name in names where name.hasPrefix(followerTempPrefix) {
            // flan-lora-rank<rank>-<pid>-<uuid>
            let parts = name.dropFirst(followerTempPrefix.count).split(separator: "-", maxSplits: 2)
            guard parts.count == 3, let pid = Int32(parts[1]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(at: root.appendingPathComponent(name)) }
        }
    }

    private func computeAndPublish(key: String, desc: JSONValue, outputs: [StageOutput],
                                   compute: (StageWorkspace) throws -> JSONValue) throws -> ([String: String], JSONValue) {
        let temp = try store.makeTemp(for: key)
        let cleanup = TempDirectoryGuard(temp)
        defer { cleanup.remove() }
        let work = store.workDirectory(key)
        try AtomicFile.createDirectory(work)
        // interrupted before its first checkpoint, a run leaves no empty work folder either
        let workGuard = TempDirectoryGuard(work, onlyIfEmpty: true)
        defer { workGuard.disarm() }
        let t0 = Date()
        let summary: JSONValue
        do {
            summary = try compute(StageWorkspace(outputDirectory: temp.appendingPathComponent("outputs"),
                                                 workDirectory: work, key: key, isVerification: false))
        } catch {
            // a failed run keeps its checkpoints for --resume, but leaves no empty work folder behind
            if (try? FileManager.default.contentsOfDirectory(atPath: work.path))?.isEmpty == true {
                try? FileManager.default.removeItem(at: work)
            }
            throw Self.namingStablePaths(error, temp: temp, outputs: outputs, root: root)
        }
        var manifest = desc.objectValue!
        manifest["summary"] = summary
        manifest["compute_seconds"] = .double((Date().timeIntervalSince(t0) * 1000).rounded() / 1000)
        manifest["peak_rss_bytes"] = Provenance.peakResidentBytes.map { .int($0) } ?? .null
        manifest["host"] = Provenance.host
        manifest["tool_version"] = .string(Provenance.toolVersion)
        manifest["git_commit"] = Provenance.gitCommit(root: root).map(JSONValue.string) ?? .null
        manifest["computed_at"] = .string(Provenance.timestamp(t0))
        let hashes = try store.publish(temp: temp, stage: stage, key: key, manifest: .object(manifest))
        cleanup.disarm()
        try? FileManager.default.removeItem(at: work)  // checkpoints are done with
        return (hashes, summary)
    }

    /// An error about a file in the store's temporary folder (a full disk while writing an output) names the output's
    /// stable path instead: the temporary one is gone by the time the user reads the line.
    static func namingStablePaths(_ error: Error, temp: URL, outputs: [StageOutput], root: URL) -> Error {
        guard var e = error as? PipelineError, let path = e.path else { return error }
        let prefix = temp.appendingPathComponent("outputs").standardizedFileURL.path + "/"
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        guard standardized.hasPrefix(temp.standardizedFileURL.path) else { return error }
        let name = standardized.hasPrefix(prefix) ? String(standardized.dropFirst(prefix.count)) : ""
        if let output = outputs.first(where: { $0.name == name }) {
            e.path = StageRun.resolve(output.stablePath, in: root).path
        } else {
            e.path = nil
            e.message += " (while writing \(name.isEmpty ? "the outputs" : name) into the store)"
        }
        return e
    }

    /// `--verify`: checks the cached entry's bytes against the hashes it recorded, recomputes into a temp dir and
    /// compares every output with it. A check: nothing is published or exposed and the lock is not touched.
    /// A corrupt cache and a recomputation that differs are different failures, said apart.
    private func verifyEntry(key: String, outputs: [StageOutput], compute: (StageWorkspace) throws -> JSONValue) throws -> StageResult {
        let entry = store.entry(key)
        guard let recorded = store.recordedHashes(key) else {
            throw PipelineError(.missingInput, "--verify: nothing cached for \(instance) under \(key.prefix(12)) to compare with; "
                                + "run the stage first (--verify recomputes and compares, it publishes nothing)", path: entry.path)
        }
        // The bytes on disk now, not the hashes recorded at publish time: a cached file changed after the fact
        // is a corrupt cache, not a reproducibility failure.
        let cached = try store.hashOutputs(store.outputs(key)).mapValues(\.0)
        let corrupt = Set(recorded.keys).union(cached.keys).filter { recorded[$0] != cached[$0] }.sorted()
        if !corrupt.isEmpty {
            throw PipelineError(.verifyMismatch, "--verify: cached bytes corrupt (hash mismatch) in "
                                + corrupt.joined(separator: ", ") + "; a run without --verify recomputes the entry", path: entry.path)
        }
        let temp = try store.makeTemp(for: key)
        let cleanup = TempDirectoryGuard(temp)
        defer { cleanup.remove() }
        let work = temp.appendingPathComponent("work")
        try AtomicFile.createDirectory(work)
        _ = try compute(StageWorkspace(outputDirectory: temp.appendingPathComponent("outputs"),
                                       workDirectory: work, key: key, isVerification: true))
        let fresh = try store.hashOutputs(temp.appendingPathComponent("outputs")).mapValues(\.0)
        var differing: [String] = []
        let timingOnly = Set(outputs.filter { !$0.isReproducible }.map(\.name))
        for name in Set(cached.keys).union(fresh.keys).sorted() {
            let same = cached[name] == fresh[name]
            let verdict = same ? "identical" : timingOnly.contains(name) ? "differs (wall-clock timings, not compared)" : "DIFFERENT"
            if !same && !timingOnly.contains(name) { differing.append(name) }
            if !Progress.quietByDefault || verdict == "DIFFERENT" {
                FileHandle.standardError.write(Data("\(instance): verify \(name): \(verdict)\n".utf8))
            }
        }
        if !differing.isEmpty {
            throw PipelineError(.verifyMismatch, "--verify: recomputation differs from the cached entry in "
                                + differing.joined(separator: ", ") + " (not reproducible here with these settings)", path: entry.path)
        }
        let seconds = Date().timeIntervalSince(started)
        report(String(format: "%@: verified %@ in %.2f s (nothing published)", instance, String(key.prefix(12)), seconds))
        var stable: [String: String] = [:]
        for o in outputs { if let sha = cached[o.name] { stable[o.stablePath] = sha } }
        return StageResult(key: key, cacheHit: true, seconds: seconds, outputs: stable, summary: store.manifest(key)?["summary"] ?? .null)
    }

    private func writeManifest(key: String, desc: JSONValue, outputs: [String: String], hit: Bool,
                               seconds: Double, summary: JSONValue, firstOutput: String?) throws {
        var m = desc.objectValue!
        m["instance"] = .string(instance)
        m["key"] = .string(key)
        m["cache_hit"] = .bool(hit)
        m["outputs"] = .object(outputs.mapValues { .string($0) })
        m["summary"] = summary
        m["started_at"] = .string(Provenance.timestamp(started))
        m["finished_at"] = .string(Provenance.timestamp(Date()))
        m["seconds"] = .double((seconds * 1000).rounded() / 1000)
        m["tool_version"] = .string(Provenance.toolVersion)
        m["git_commit"] = Provenance.gitCommit(root: root).map(JSONValue.string) ?? .null
        m["host"] = Provenance.host
        m["config"] = .string(config.isBuiltIn ? "(built-in defaults)" : options.config)
        if let computed = store.manifest(key) {
            m["computed"] = ["at": computed["computed_at"] ?? .null, "seconds": computed["compute_seconds"] ?? .null,
                             "git_commit": computed["git_commit"] ?? .null, "peak_rss_bytes": computed["peak_rss_bytes"] ?? .null]
        }
        var inputPaths: [String: JSONValue] = [:]
        for input in inputs { inputPaths[input.role] = .string(relativePath(input.stable)) }
        m["input_paths"] = .object(inputPaths)
        let dir = firstOutput.map { StageRun.resolve($0, in: root).deletingLastPathComponent() }
            ?? resolve(config.value("paths.data").stringValue!)
        try AtomicFile.write(JSONValue.object(m).pretty, to: dir.appendingPathComponent("\(instance).manifest.json"))
    }

    /// A path: absolute as is, otherwise relative to `root`.
    public static func resolve(_ path: String, in root: URL) -> URL {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)).standardizedFileURL
    }

    public func resolve(_ path: String) -> URL { StageRun.resolve(path, in: root) }

    private func relativePath(_ url: URL) -> String {
        let r = root.standardizedFileURL.path + "/"
        let p = url.standardizedFileURL.path
        return p.hasPrefix(r) ? String(p.dropFirst(r.count)) : p
    }
}

/// What SIGINT or SIGTERM prints: the tool's name, that nothing was published, and what a rerun can reuse.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current: String?

    /// What survives the interruption, e.g. "the checkpoint of step 50 is kept; rerun with --resume …".
    public static var note: String? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// "train-lora: interrupted; no output was published; the checkpoint of step 50 is kept; …\n".
    public static var message: String {
        "\(ProcessInfo.processInfo.processName): interrupted; no output was published" + (note.map { "; " + $0 } ?? "") + "\n"
    }
}

/// Removes a temp directory on scope exit and on SIGINT/SIGTERM, unless it was published.
final class TempDirectoryGuard: @unchecked Sendable {
    private let url: URL
    private let onlyIfEmpty: Bool
    private var armed = true
    private static let lock = NSLock()
    /// Path → whether it is removed only when empty (a work folder: its checkpoints are kept for --resume).
    nonisolated(unsafe) private static var live: [String: Bool] = [:]

    init(_ url: URL, onlyIfEmpty: Bool = false) {
        self.url = url
        self.onlyIfEmpty = onlyIfEmpty
        TempDirectoryGuard.installHandlers()
        TempDirectoryGuard.lock.withLock { TempDirectoryGuard.live[url.path] = onlyIfEmpty }
    }

    func disarm() {
        armed = false
        TempDirectoryGuard.lock.withLock { _ = TempDirectoryGuard.live.removeValue(forKey: url.path) }
    }

    func remove() {
        guard armed else { return }
        Self.remove(url.path, onlyIfEmpty: onlyIfEmpty)
        disarm()
    }

    /// rmdir fails on a folder with anything in it, which is what `onlyIfEmpty` asks for.
    private static func remove(_ path: String, onlyIfEmpty: Bool) {
        if onlyIfEmpty { _ = rmdir(path) } else { try? FileManager.default.removeItem(atPath: path) }
    }

    /// SIGINT and SIGTERM: the handler only writes a byte to a pipe (async-signal-safe, on whatever thread the signal
    /// lands); a watcher thread started here, while threads can still be started, removes the live temp folders,
    /// prints the interruption line and exits 130. The Dispatch source this replaced ran its handler on a pool thread
    /// it had to create then, so a process at its thread limit ignored the signals.
    private static func installHandlers() {
        lock.withLock {
            guard signalWriteEnd < 0 else { return }
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return }
            let started = startDetachedThread {
                var byte: UInt8 = 0
                while read(fds[0], &byte, 1) != 1 {}
                let paths = lock.withLock { live }
                for (p, onlyIfEmpty) in paths { remove(p, onlyIfEmpty: onlyIfEmpty) }
                FileHandle.standardError.write(Data(Interruption.message.utf8))
                // _exit, not exit: exit's atexit handlers and static destructors (oneDNN's, OpenMP's) would run while
                // the other threads still compute, and crashed the process (signal 11 instead of 130)
                _exit(ExitStatus.interrupted.rawValue)
            }
            guard started == 0 else {
                close(fds[0]); close(fds[1])
                return
            }
            signalWriteEnd = fds[1]
            for sig in [SIGINT, SIGTERM] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { _ in
                    var byte: UInt8 = 1
                    _ = write(signalWriteEnd, &byte, 1)
                }
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                sigaction(sig, &action, nil)
            }
        }
    }

}

/// The signal pipe's write end (-1 until installed): a plain global, so the handler touches no Swift object.
nonisolated(unsafe) private var signalWriteEnd: Int32 = -1
