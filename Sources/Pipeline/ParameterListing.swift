import Foundation
import JSON

/// The configuration in effect, one line per parameter: its value (canonical, as stage keys hash it), the file
/// of the `base:` chain that set it, and for a `--set` the value the files give (`pipeline-report params`).
public struct ParameterListing: Sendable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        /// A config file (relative to the folder the tool runs in when inside it), or `--set`.
        public var setIn: String
        /// The files' value when `--set` changed it.
        public var fileValue: String?
    }

    public var entries: [Entry]

    /// `config` with the overrides, `file` without them; paths shown relative to `directory` when inside it.
    public init(config: PipelineConfig, file: PipelineConfig, directory: URL) {
        let prefix = directory.standardizedFileURL.path + "/"
        entries = config.values.keys.sorted().map { key in
            let value = config.values[key]!
            var origin = config.origins[key] ?? config.name
            if origin.hasPrefix(prefix) { origin.removeFirst(prefix.count) }
            let before = file.values[key]
            return Entry(key: key, value: value.canonical, setIn: origin,
                         fileValue: origin == PipelineConfig.overrideOrigin && before != value ? before?.canonical : nil)
        }
    }

    public func render(json: Bool) -> String {
        if json {
            var object: [String: JSONValue] = [:]
            for e in entries {
                var o: [String: JSONValue] = ["value": .string(e.value), "set_in": .string(e.setIn)]
                if let f = e.fileValue { o["file_value"] = .string(f) }
                object[e.key] = .object(o)
            }
            return JSONValue.object(object).pretty
        }
        let keyWidth = entries.map(\.key.count).max() ?? 0
        let valueWidth = min(40, entries.map(\.value.count).max() ?? 0)
        var out = "parameter".padding(toLength: keyWidth, withPad: " ", startingAt: 0) + "   "
            + "value".padding(toLength: valueWidth, withPad: " ", startingAt: 0) + "   set in\n"
        for e in entries {
            let origin = e.fileValue.map { "\(e.setIn) (the files say \($0))" } ?? e.setIn
            out += e.key.padding(toLength: keyWidth, withPad: " ", startingAt: 0) + "   "
                + e.value.padding(toLength: max(valueWidth, e.value.count), withPad: " ", startingAt: 0) + "   " + origin + "\n"
        }
        let overridden = entries.filter { $0.setIn == PipelineConfig.overrideOrigin }.count
        if overridden > 0 { out += "\n\(overridden) set with --set (SET=… in make)\n" }
        return out
    }
}
