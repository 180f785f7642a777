import Failures
import Foundation
import JSON
import Yams

/// `pipeline.yaml` after loading: a flat, validated map from dotted key to value.
///
/// A config file may start with `base: other.yaml`; its keys then override the base file's.
/// The demo configuration is written that way, so the real defaults live in one file only.
///
/// Paths inside a configuration (`paths.*`, `samsum.archive`, `model.local_dir`, also when given
/// with `--set`) are used as they are when absolute; relative ones are relative to `folder`: the
/// folder of the configuration file the tool was given (`resolve`). `base:` is relative to the
/// file that names it. With no configuration file (`BuiltInConfiguration`), `folder` is the
/// current one. The values themselves stay as written: outputs that record a path (an adapter's
/// `base_model_name_or_path`) do not change with the folder a project is cloned into.
public struct PipelineConfig: Sendable {
    /// The configuration file, or "" for the built-in defaults.
    public let path: String
    /// The folder relative paths in the configuration are relative to.
    public let folder: URL
    public private(set) var values: [String: JSONValue]
    /// Where each value was set: the file of the `base:` chain that set it last (as read), or `--set`.
    public private(set) var origins: [String: String] = [:]

    public init(path: String, folder: URL, values: [String: JSONValue], origins: [String: String] = [:]) {
        self.path = path
        self.folder = folder.standardizedFileURL
        self.values = values
        self.origins = origins
    }

    /// What `origins` says of a value given with `--set`.
    public static let overrideOrigin = "--set"

    public var isBuiltIn: Bool { path.isEmpty }
    /// What error messages call this configuration.
    public var name: String { isBuiltIn ? "the built-in defaults" : path }

    /// The lock file beside the configuration (`pipeline.yaml` → `pipeline.lock`).
    public var lockURL: URL {
        folder.appendingPathComponent(LockFile.path(forConfig: isBuiltIn ? BuiltInConfiguration.fileName
                                                                          : URL(fileURLWithPath: path).lastPathComponent))
    }

    /// A path from the configuration, resolved by the rule above.
    public func resolve(_ path: String) -> URL { StageRun.resolve(path, in: folder) }

    /// Loads, merges the `base:` chain, applies `--set key=value` overrides, validates.
    public static func load(path: String, overrides: [String] = []) throws -> PipelineConfig {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var origins: [String: String] = [:]
        let flat = try parseFlat(text: try readText(path: url.path), origin: url.path, folder: url.deletingLastPathComponent(),
                                 origins: &origins)
        return try finish(flat, origins: origins, overrides: overrides, path: url.path, folder: url.deletingLastPathComponent())
    }

    /// `pipeline.yaml`'s values compiled in (`BuiltInConfiguration`), for tools run outside a project.
    public static func builtIn(overrides: [String] = [], folder: URL) throws -> PipelineConfig {
        var origins: [String: String] = [:]
        let flat = try parseFlat(text: BuiltInConfiguration.yaml, origin: "the built-in defaults", folder: folder, origins: &origins)
        return try finish(flat, origins: origins, overrides: overrides, path: "", folder: folder)
    }

    /// The configuration a tool uses: `--config` when given (it must exist), else `pipeline.yaml` in
    /// `folder` when there is one, else the built-in defaults (relative paths then from `folder`).
    public static func load(file: String?, overrides: [String] = [], in folder: URL) throws -> PipelineConfig {
        if let file { return try load(path: StageRun.resolve(file, in: folder).path, overrides: overrides) }
        let local = folder.appendingPathComponent(BuiltInConfiguration.fileName)
        if FileManager.default.fileExists(atPath: local.path) { return try load(path: local.path, overrides: overrides) }
        return try builtIn(overrides: overrides, folder: folder)
    }

    public static func load(_ options: StageOptions, in folder: URL) throws -> PipelineConfig {
        try load(file: options.configFile, overrides: try options.allOverrides(), in: folder)
    }

    static func finish(_ loaded: [String: JSONValue], origins loadedOrigins: [String: String], overrides: [String],
                               path: String, folder: URL) throws -> PipelineConfig {
        var flat = loaded, origins = loadedOrigins
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else {
                throw PipelineError.usage("--set expects key=value, got '\(o)'")
            }
            let key = String(o[..<eq]), raw = String(o[o.index(after: eq)...])
            guard let spec = ParameterSchema.spec(for: key) else {
                throw PipelineError.usage("--set: unknown parameter '\(key)'\(suggestion(for: key))")
            }
            // A string parameter takes the text as given ("007" stays "007", not 7).
            let value = spec.type == .string ? JSONValue.string(raw) : parseScalar(raw)
            flat[key] = try coerce(value, to: spec, origin: "--set \(key)")
            origins[key] = overrideOrigin
        }
        for spec in ParameterSchema.all where flat[spec.key] == nil {
            throw PipelineError.usage("missing parameter '\(spec.key)' (\(spec.type.name))", path: path.isEmpty ? nil : path)
        }
        return PipelineConfig(path: path, folder: folder, values: flat, origins: origins)
    }

    /// A configuration is a few kilobytes: a `base:` naming a disk image or /dev/zero is refused, not read.
    static let maximumFileBytes = 1 << 20

    /// A configuration file's text: a missing file is missing input, one too large or not UTF-8 bad input.
    private static func readText(path: String) throws -> String {
        let data: Data
        do { data = try BoundedFile.read(URL(fileURLWithPath: path), maxBytes: maximumFileBytes) } catch let e as PipelineError {
            throw e.status == .missingInput ? PipelineError.missingInput("cannot read the pipeline configuration", path: path)
                                            : PipelineError(e.status, "the pipeline configuration: \(e.message)", path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.badInput("the pipeline configuration is not UTF-8 text", path: path)
        }
        return text
    }

    /// One file's keys over its `base:` chain's (`ConfigBaseChain`), with the file that set each in `origins`.
    static func parseFlat(text: String, origin: String, folder: URL, origins: inout [String: String]) throws -> [String: JSONValue] {
        let merged = try ConfigBaseChain.merge(try layer(text: text, origin: origin, folder: folder), read: { path throws in
            try layer(text: try readText(path: path), origin: path, folder: URL(fileURLWithPath: path).deletingLastPathComponent())
        }, tooDeep: { path in PipelineError.usage(ConfigBaseChain.tooDeep, path: path) })
        origins = merged.mapValues(\.origin)
        return merged.mapValues(\.value)
    }

    /// One file's own values, checked against the schema, and the path of its base (relative to `folder`, the file's
    /// own). Sections and keys are read in the file's order, so of several unknown keys the first is named; a section
    /// or key given twice is an error (YAML parsers keep the last silently).
    private static func layer(text: String, origin: String,
                              folder: URL) throws -> ConfigBaseChain.Layer<String, (value: JSONValue, origin: String)> {
        guard case .mapping(let map)? = try compose(text, origin: origin) else {
            throw PipelineError.usage("the top level must be a mapping of sections", path: origin)
        }
        var layer = ConfigBaseChain.Layer<String, (value: JSONValue, origin: String)>(), budget = nodeBudget
        let sections = try uniquePairs(map, what: "section", prefix: "", origin: origin)
        if let base = sections.first(where: { $0.name == ConfigBaseChain.key })?.value {
            guard case .scalar(let scalar) = base, !scalar.string.isEmpty,
                  let path = ConfigBaseChain.basePath(scalar.string, inFolder: folder.path) else {
                throw PipelineError.usage("'base' must be a file name", path: origin)
            }
            layer.base = path
        }
        for (section, body) in sections where section != ConfigBaseChain.key {
            guard case .mapping(let entries) = body else {
                throw PipelineError.usage("section '\(section)' must be a mapping", path: origin)
            }
            for (name, value) in try uniquePairs(entries, what: "parameter", prefix: section + ".", origin: origin) {
                let key = "\(section).\(name)"
                guard let spec = ParameterSchema.spec(for: key) else {
                    throw PipelineError.usage("unknown parameter '\(key)'\(suggestion(for: key))", path: origin)
                }
                layer.values.append((key, (try coerce(fromYAML(value, budget: &budget, origin: origin), to: spec, origin: origin), origin)))
            }
        }
        return layer
    }

    /// YAML's node tree, aliases not yet expanded (they are shared nodes: expansion is what `fromYAML` bounds).
    private static func compose(_ text: String, origin: String) throws -> Node? {
        try YAMLNesting.check(text, origin: origin)
        do { return try Yams.compose(yaml: text) } catch {
            throw PipelineError.usage("invalid YAML: \(String(describing: error).split(separator: "\n").first ?? "")", path: origin)
        }
    }

    /// A mapping's string keys and values in document order; a key given twice is an error naming both lines.
    private static func uniquePairs(_ mapping: Node.Mapping, what: String, prefix: String,
                                    origin: String) throws -> [(name: String, value: Node)] {
        var seen: [String: Mark?] = [:], pairs: [(name: String, value: Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw PipelineError.usage("a \(what) name must be a plain string", path: origin) }
            if let first = seen[scalar.string] {
                let lines = first.flatMap { a in scalar.mark.map { b in " (lines \(a.line) and \(b.line))" } } ?? ""
                throw PipelineError.usage("\(what) '\(prefix)\(scalar.string)' is given twice\(lines)", path: origin)
            }
            seen[scalar.string] = scalar.mark
            pairs.append((scalar.string, value))
        }
        return pairs
    }

    /// Values of a configuration are small: beyond this many YAML nodes (after aliases are expanded) a
    /// file is refused rather than expanded (a few hundred bytes of nested aliases would grow to gigabytes).
    static let nodeBudget = 100_000

    /// Scalars given on the command line follow YAML's rules ("3" is an int, "true" a bool).
    private static func parseScalar(_ raw: String) -> JSONValue {
        var budget = nodeBudget
        if (try? YAMLNesting.check(raw, origin: "--set")) != nil, let node = try? Yams.compose(yaml: raw),
           let j = try? fromYAML(node, budget: &budget, origin: "--set") { return j }
        return .string(raw)
    }

    private static func fromYAML(_ node: Node, budget: inout Int, origin: String) throws -> JSONValue {
        budget -= 1
        guard budget >= 0 else {
            throw PipelineError.usage("the configuration expands to more than \(nodeBudget) YAML values (nested aliases?)", path: origin)
        }
        switch node {
        case .scalar:
            switch Constructor.default.any(from: node) {
            case let b as Bool: return .bool(b)
            case let i as Int: return .int(i)
            case let d as Double: return .double(d)
            case let s as String: return .string(s)
            case is NSNull: return .null
            case let other: return .string(String(describing: other))
            }
        case .sequence(let items):
            return .array(try items.map { try fromYAML($0, budget: &budget, origin: origin) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (name, value) in try uniquePairs(mapping, what: "key", prefix: "", origin: origin) {
                object[name] = try fromYAML(value, budget: &budget, origin: origin)
            }
            return .object(object)
        }
    }

    /// A number must be finite (`.nan` would train to "diverged" and a checkpoint folder left empty) and inside the
    /// key's bounds.
    private static func bounded(_ d: Double, _ spec: ParameterSpec, origin: String) throws -> JSONValue {
        let bounds = spec.bounds ?? NumberBounds()
        guard d.isFinite, bounds.contains(d) else {
            throw PipelineError.usage("parameter '\(spec.key)' must be \(bounds.text), got \(d)", path: origin)
        }
        return .double(d)
    }

    static func coerce(_ v: JSONValue, to spec: ParameterSpec, origin: String) throws -> JSONValue {
        // the value as parsed, cut to a line's worth (a hostile one can be megabytes)
        let shown = v.canonical.count > 80 ? String(v.canonical.prefix(80)) + "…" : v.canonical
        let bad = PipelineError.usage("parameter '\(spec.key)' must be \(spec.type.name)\(spec.acceptsAuto ? " or auto" : ""), got \(shown)",
                                      path: origin)
        switch (spec.type, v) {
        case (.int, .int(let i)):
            if let range = spec.range, !range.contains(i) {
                throw PipelineError.usage("parameter '\(spec.key)' must be an integer from \(range.lowerBound) to "
                                          + "\(range.upperBound), got \(i)", path: origin)
            }
            return v
        case (.string, .string(let text)):
            // An empty folder would resolve to the configuration's folder or the filesystem root (issue 33, item 5).
            if spec.isLocation && text.trimmingCharacters(in: .whitespaces).isEmpty {
                throw PipelineError.usage("parameter '\(spec.key)' must name a folder, got an empty string", path: origin)
            }
            return v
        case (.int, .string("auto")) where spec.acceptsAuto:
            let cores = ProcessInfo.processInfo.activeProcessorCount
            return .int(spec.range.map { min(max(cores, $0.lowerBound), $0.upperBound) } ?? cores)
        case (.bool, .bool): return v
        case (.string, .int(let i)): return .string(String(i))  // e.g. a revision that looks numeric
        case (.double, .double(let d)): return try bounded(d, spec, origin: origin)
        case (.double, .int(let i)): return try bounded(Double(i), spec, origin: origin)
        case (.double, .string(let s)):
            // YAML 1.1 reads "1e-3" as a string; accept any number Swift parses.
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw bad }
            return try bounded(d, spec, origin: origin)
        case (.stringList, .array(let a)):
            guard a.allSatisfy({ $0.stringValue != nil }) else { throw bad }
            return v
        case (.stringList, .string(let s)):  // --set lora.target_modules=q,v
            return .array(s.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        case (.choice(let options), .string(let s)):
            guard options.contains(s) else { throw bad }
            return v
        case (.positiveNumbers(let integers), .object(let o)):
            return .object(try o.mapValues { value in
                switch value {
                case .int(let i) where i > 0: return integers ? value : .double(Double(i))
                case .double(let d) where !integers && d.isFinite && d > 0: return value
                default: throw bad
                }
            })
        case (.positiveNumbers, .null):  // `rank_pattern:` with nothing after it
            return .object([:])
        default: throw bad
        }
    }

    private static func suggestion(for key: String) -> String {
        let section = key.split(separator: ".").first.map(String.init) ?? ""
        let known = ParameterSchema.all.map(\.key).filter { $0.hasPrefix(section + ".") }
        return known.isEmpty ? "" : " (known in '\(section)': \(known.map { String($0.dropFirst(section.count + 1)) }.joined(separator: ", ")))"
    }

    // MARK: typed access (used through `ParameterReader`, which records what a stage reads)

    public func value(_ key: String) -> JSONValue {
        guard let v = values[key] else { preconditionFailure("parameter '\(key)' is not in ParameterSchema") }
        return v
    }
}

/// A stage's view of the configuration. Every read is recorded: the stage key hashes
/// exactly the parameters the stage read, so a change elsewhere never invalidates it.
public final class ParameterReader: @unchecked Sendable {
    public let config: PipelineConfig
    public private(set) var read: [String: JSONValue] = [:]

    public init(_ config: PipelineConfig) { self.config = config }

    private func get(_ key: String) -> JSONValue {
        let v = config.value(key)
        if ParameterSchema.spec(for: key)?.isLocation != true { read[key] = v }
        return v
    }

    public func string(_ key: String) -> String { get(key).stringValue! }
    public func int(_ key: String) -> Int { get(key).intValue! }
    public func double(_ key: String) -> Double { get(key).doubleValue! }
    public func bool(_ key: String) -> Bool { get(key).boolValue! }
    public func strings(_ key: String) -> [String] { get(key).arrayValue!.map { $0.stringValue! } }
    public func numbers(_ key: String) -> [String: Double] { get(key).objectValue!.mapValues { $0.doubleValue! } }

    /// Records a setting that does not come from the configuration but changes the outputs (train-lora's
    /// `runtime.world_size` under mpirun), so that the key and the lock carry it like a parameter.
    public func record(_ key: String, _ value: JSONValue) { read[key] = value }

    /// A value that selects where to get bytes whose content another, hashed parameter
    /// pins (a mirror list, a local copy of a pinned archive): it is not part of the key,
    /// so fetching the same content from elsewhere is still a cache hit.
    public func unhashed(_ key: String) -> JSONValue { config.value(key) }

    /// A setting added after runs were made with its `usual` value: keyed only when it is something else, so those
    /// runs stay cache hits (the lock records the setting when it changes the outputs).
    public func string(_ key: String, keyedUnless usual: String) -> String {
        let value = config.value(key).stringValue!
        if value != usual { read[key] = .string(value) }
        return value
    }

    /// The parameters read so far, as one JSON object (what the key and manifest record).
    public var readJSON: JSONValue { .object(read) }
}
