/// A configuration's `base:` chain, merged by one rule for every reader of configurations: `PipelineConfig` (a run's
/// configuration from disk, checked against the schema) and `Experiments` (a configuration at a git revision, its base
/// read at the same revision, values kept as written). The rule: `base: other.yaml` names the file whose values this
/// one's override, relative to the folder of the file that names it; each `section.key` a file sets replaces the base's
/// whole value (a list or mapping too); a chain of more than `maximumFiles` files is taken for a cycle.
///
/// How one file's values are read is the reader's: the schema's types, or the text as written.
public enum ConfigBaseChain {
    /// The top-level key that names the base.
    public static let key = "base"
    public static let maximumFiles = 8
    public static let tooDeep = "'base:' chain is too deep (a cycle?)"

    /// One file of a chain as its reader gives it: the values the file sets itself, by `section.key` in document
    /// order, and the file its `base:` names (nil: none, or one the reader cannot read and keeps among the values).
    public struct Layer<File, Value> {
        public var values: [(key: String, value: Value)] = []
        public var base: File?

        public init() {}
    }

    /// `top`'s values over its chain's. `read` gives the layer of a file a `base:` names; `tooDeep` the error for the
    /// file that would make the chain longer than `maximumFiles`.
    public static func merge<File, Value, Failure: Error>(_ top: Layer<File, Value>,
                                                          read: (File) throws(Failure) -> Layer<File, Value>,
                                                          tooDeep: (File) -> Failure) throws(Failure) -> [String: Value] {
        var layers = [top]
        while let base = layers[layers.count - 1].base {
            guard layers.count < maximumFiles else { throw tooDeep(base) }
            layers.append(try read(base))
        }
        var merged: [String: Value] = [:]
        for layer in layers.reversed() {
            for (key, value) in layer.values { merged[key] = value }
        }
        return merged
    }

    /// The file a `base:` value names: `name` itself when absolute, else `name` in `folder` (the folder of the file
    /// that names it), `.` and `..` resolved by name as `URL.standardized` does: a configuration at a git revision has
    /// no filesystem to ask. `folder` is absolute for a file on disk, or a path inside a repository ("" for its top);
    /// nil when `name` climbs out of such a relative folder.
    public static func basePath(_ name: String, inFolder folder: String) -> String? {
        let rooted = name.hasPrefix("/") || folder.hasPrefix("/")
        var parts = name.hasPrefix("/") ? [] : folder.split(separator: "/").map(String.init)
        for part in name.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if !parts.isEmpty { parts.removeLast() } else if !rooted { return nil }  // "/.." is "/"
            default: parts.append(String(part))
            }
        }
        return (rooted ? "/" : "") + parts.joined(separator: "/")
    }
}
