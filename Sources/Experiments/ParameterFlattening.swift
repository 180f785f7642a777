import Failures
import JSON
import Pipeline
import Rouge
import Yams

/// A pipeline config read as a diff shows it: one value per `section.key`, lists and mappings written in
/// flow style (`lora.target_modules = [q, v]`, `lora.rank_pattern = {q: 8}`), scalars as the file spells
/// them, so a diff shows what the user wrote.
public enum ParameterFlattening {
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
        guard let mapping = root.mapping else { return ["": ["(config)": written(root)]] }
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
                    groups[parameter] = [parameter: written(entry)]
                }
            } else {
                groups[section] = [section: written(value)]
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

    static func compose(_ text: String, path: String) throws(PipelineError) -> Node? {
        try YAMLNesting.check(text, origin: path)
        do { return try Yams.compose(yaml: text) } catch {
            throw PipelineError(.badInput, "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")", path: path)
        }
    }

    /// Nesting deeper than this is cut off (shown as one value) so a hostile file cannot recurse without bound.
    static let maximumDepth = 64
    /// A value of more nodes than this (aliases expand: 562 bytes can name billions) is not written out.
    static let maximumNodes = 10_000

    /// A value as one line: a scalar as written, a list `[a, b]`, a mapping `{k: v, …}` in file order.
    static func written(_ node: Node) -> String {
        var budget = maximumNodes
        return written(node, depth: 0, budget: &budget) ?? "(a value too large or deep to show)"
    }

    /// A lock's value as `written` writes a config's: a string bare, a number as the lock spells it (the lock is
    /// written by `JSONValue.pretty`, whose numbers `canonical` repeats), a list `[a, b]`, a mapping `{k: v}` in the
    /// lock's order (sorted). The lock's JSON is bounded in depth by its parser and has no aliases to expand.
    static func written(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .array(let items): return "[" + items.map(written).joined(separator: ", ") + "]"
        case .object(let object): return "{" + object.keys.sorted().map { "\($0): \(written(object[$0]!))" }.joined(separator: ", ") + "}"
        case .null, .bool, .int, .double: return value.canonical
        }
    }

    private static func written(_ node: Node, depth: Int, budget: inout Int) -> String? {
        budget -= 1
        guard budget >= 0, depth < maximumDepth else { return nil }
        if let scalar = node.scalar { return scalar.string }
        var parts: [String] = []
        if let sequence = node.sequence {
            for item in sequence {
                guard let t = written(item, depth: depth + 1, budget: &budget) else { return nil }
                parts.append(t)
            }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        if let mapping = node.mapping {
            for (key, value) in mapping {
                guard let k = written(key, depth: depth + 1, budget: &budget),
                      let v = written(value, depth: depth + 1, budget: &budget) else { return nil }
                parts.append("\(k): \(v)")
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        return nil
    }
}
