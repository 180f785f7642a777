import Foundation
import Pipeline

/// A secret sent as `Authorization: Bearer …` (e.g. `HF_TOKEN`).
///
/// It never prints: `description`, `debugDescription` and reflection all show a
/// placeholder, so interpolating it into a log line or an error cannot leak it.
public struct BearerToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Module-internal on purpose: only the request builder reads it.
    let secret: String

    /// nil for a missing or blank value, so `BearerToken(env["HF_TOKEN"])` just works.
    public init?(_ value: String?) {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        secret = value
    }

    /// The token in the environment variable `name` (default `HF_TOKEN`), if set and non-blank.
    public static func fromEnvironment(_ name: String = "HF_TOKEN",
                                       _ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> BearerToken? {
        BearerToken(environment[name])
    }

    var headerValue: String { "Bearer " + secret }

    public var description: String { "BearerToken(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
