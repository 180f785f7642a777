import Failures
import Rouge
import Yams

/// Flattens a YAML (or JSON, which YAML includes) document into dotted key paths and
/// scalar values, e.g. `train: {lr: 1e-3}` -> `train.lr = 1e-3`, and `layers: [q, v]` ->
/// `layers[0] = q`, `layers[1] = v`. Scalars keep their spelling in the file, so a diff shows
/// what the user wrote. Used to explain a ROUGE change by the settings that changed.
public enum ParameterFlattening {
    public static func flatten(yaml text: String, path: String) throws(PipelineError) -> [String: String] {
        var out: [String: String] = [:]
        if let root = try compose(text, path: path) { flatten(root, prefix: "", into: &out, depth: 0) }
        return out
    }

    /// A pipeline config at one revision with its `base:` chain merged the way `PipelineConfig` merges it:
    /// each `section.key` a file sets replaces the base's whole value (a list too), and `base` itself is
    /// not a parameter. `path` is the config's path in the repository (a relative `base:` is relative to
    /// its folder); `read` returns a repository file at the same revision, nil when absent. A base that
    /// cannot be read there (absolute, outside the repository, missing) is listed as written, `base = …`.
    /// An empty section sets nothing, as in PipelineConfig.
    ///
    /// Not PipelineConfig itself: it checks values against today's schema and retypes them, which would
    /// refuse an old revision's keys and lose the spelling a diff should show.
    public static func flattenConfig(yaml text: String, path: String, revision: String,
                                     read: (String) throws(PipelineError) -> String?) throws(PipelineError) -> [String: String] {
        var out: [String: String] = [:]
        for entries in try configEntries(text, path: path, revision: revision, read: read, depth: 0).values {
            out.merge(entries) { _, own in own }
        }
        return out
    }

    /// PipelineConfig's limit on a `base:` chain (deeper is taken for a cycle).
    static let maximumBaseDepth = 8

    /// The flattened values of one config file, grouped by the `section.key` that sets them.
    private static func configEntries(_ text: String, path: String, revision: String,
                                      read: (String) throws(PipelineError) -> String?,
                                      depth: Int) throws(PipelineError) -> [String: [String: String]] {
        let origin = "\(path) at \(revision)"
        guard let root = try compose(text, path: origin) else { return [:] }
        guard let mapping = root.mapping else {
            var out: [String: String] = [:]
            flatten(root, prefix: "", into: &out, depth: 0)
            return ["": out]
        }
        var groups: [String: [String: String]] = [:]
        for (key, value) in mapping {
            let section = key.scalar?.string ?? "?"
            if section == "base", let name = value.scalar?.string {
                if let basePath = repositoryPath(name, besides: path), let baseText = try read(basePath) {
                    guard depth + 1 < maximumBaseDepth else {
                        throw PipelineError(.badInput, "'base:' chain is too deep (a cycle?)", path: origin)
                    }
                    let base = try configEntries(baseText, path: basePath, revision: revision, read: read, depth: depth + 1)
                    groups.merge(base) { own, _ in own }
                } else {
                    groups["base"] = ["base": name]
                }
            } else if let entries = value.mapping {
                for (name, entry) in entries {
                    let parameter = "\(section).\(name.scalar?.string ?? "?")"
                    var out: [String: String] = [:]
                    flatten(entry, prefix: parameter, into: &out, depth: 2)
                    groups[parameter] = out
                }
            } else {
                var out: [String: String] = [:]
                flatten(value, prefix: section, into: &out, depth: 1)
                groups[section] = out
            }
        }
        return groups
    }

    /// `name` as given in a `base:` of the file at `path`, as a path from the repository's top level;
    /// nil when it is absolute or leaves the repository.
    static func repositoryPath(_ name: String, besides path: String) -> String? {
        guard !name.hasPrefix("/") else { return nil }
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for part in name.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    private static func compose(_ text: String, path: String) throws(PipelineError) -> Node? {
        do { return try Yams.compose(yaml: text) } catch {
            throw PipelineError(.badInput, "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")", path: path)
        }
    }

    /// Nesting deeper than this is cut off (shown as one value) so a hostile file cannot recurse without bound.
    static let maximumDepth = 64

    private static func flatten(_ node: Node, prefix: String, into out: inout [String: String], depth: Int) {
        if depth < maximumDepth, let mapping = node.mapping {
            if mapping.count == 0 { out[prefix] = "{}" }
            for (key, value) in mapping {
                let name = key.scalar?.string ?? "?"
                flatten(value, prefix: prefix.isEmpty ? name : "\(prefix).\(name)", into: &out, depth: depth + 1)
            }
        } else if depth < maximumDepth, let sequence = node.sequence {
            if sequence.count == 0 { out[prefix] = "[]" }
            for (i, value) in sequence.enumerated() {
                flatten(value, prefix: "\(prefix)[\(i)]", into: &out, depth: depth + 1)
            }
        } else if let scalar = node.scalar {
            out[prefix] = scalar.string
        } else {
            out[prefix] = "(nested too deeply)"
        }
    }
}
