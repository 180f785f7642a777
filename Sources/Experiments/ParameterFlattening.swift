import Failures
import JSON
import Pipeline
import Rouge
import Yams

/// A pipeline config read as a diff shows it: one value per `section.key`, lists and mappings written in
/// flow style (`lora.target_modules = [q, v]`, `lora.rank_pattern = {q: 8}`), scalars as the file spells
/// them, so a diff shows what the user wrote.
public enum ParameterFlattening {
    /// A pipeline config at one revision with its `base:` chain merged as `PipelineConfig` merges it
    /// (`ConfigBaseChain`), and `base` itself not a parameter. `path` is the config's path in the repository
    /// (a relative `base:` is relative to its folder); `read` returns a repository file at the same revision, nil
    /// when absent. A base that cannot be read there (absolute, outside the repository, missing) is listed as
    /// written, `base = …`.
    ///
    /// Each file's values are read here, not by PipelineConfig: it checks values against today's schema and retypes
    /// them, which would refuse an old revision's keys and lose the spelling a diff should show.
    public static func flattenConfig(yaml text: String, path: String, revision: String,
                                     read: (String) throws(PipelineError) -> String?) throws(PipelineError) -> [String: String] {
        func layer(_ file: ConfigFile) throws(PipelineError) -> ConfigBaseChain.Layer<ConfigFile, String> {
            try configLayer(file, revision: revision, read: read)
        }
        return try ConfigBaseChain.merge(try layer(ConfigFile(path: path, text: text)), read: layer) { file in
            PipelineError(.badInput, ConfigBaseChain.tooDeep, path: "\(file.path) at \(revision)")
        }
    }

    /// A config file of the repository at the revision read.
    struct ConfigFile {
        var path: String
        var text: String
    }

    /// The values one config file sets, as written, and the base it names when that can be read at the revision.
    private static func configLayer(_ file: ConfigFile, revision: String,
                                    read: (String) throws(PipelineError) -> String?) throws(PipelineError) -> ConfigBaseChain.Layer<ConfigFile, String> {
        var layer = ConfigBaseChain.Layer<ConfigFile, String>()
        guard let root = try compose(file.text, path: "\(file.path) at \(revision)") else { return layer }
        guard let mapping = root.mapping else {
            layer.values = [("(config)", written(root))]
            return layer
        }
        let folder = file.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        for (key, value) in mapping {
            let section = key.scalar?.string ?? "?"
            if section == ConfigBaseChain.key, let name = value.scalar?.string {
                // only a file inside the repository can be read at a revision
                if let basePath = ConfigBaseChain.basePath(name, inFolder: folder), !basePath.isEmpty, !basePath.hasPrefix("/"),
                   let baseText = try read(basePath) {
                    layer.base = ConfigFile(path: basePath, text: baseText)
                } else {
                    layer.values.append((section, name))
                }
            } else if let entries = value.mapping {
                for (name, entry) in entries { layer.values.append(("\(section).\(name.scalar?.string ?? "?")", written(entry))) }
            } else {
                layer.values.append((section, written(value)))
            }
        }
        return layer
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
