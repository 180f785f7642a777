import Yams

/// Flattens a YAML (or JSON, which YAML includes) document into dotted key paths and
/// scalar values, e.g. `train: {lr: 1e-3}` -> `train.lr = 1e-3`, and `layers: [q, v]` ->
/// `layers[0] = q`, `layers[1] = v`. Scalars keep their spelling in the file, so a diff shows
/// what the user wrote. Used to explain a ROUGE change by the settings that changed.
public enum ParameterFlattening {
    public static func flatten(yaml text: String, path: String) throws(RougeError) -> [String: String] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw RougeError(.badInput, "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")", path: path)
        }
        var out: [String: String] = [:]
        if let root { flatten(root, prefix: "", into: &out, depth: 0) }
        return out
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
