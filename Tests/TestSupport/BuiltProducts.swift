import Foundation

/// The package's built executables, found beside the test bundle (`swift build --build-tests` builds every
/// product there, whatever the scratch path or configuration).
public enum BuiltProducts {
    /// The folder of the running test bundle, e.g. `.build/debug`.
    public static var directory: URL {
        // macOS: the .xctest bundle's folder; Linux: the test runner is itself in the products folder.
        Bundle.allBundles.first { $0.bundleURL.pathExtension == "xctest" }?.bundleURL.deletingLastPathComponent()
            ?? Bundle.main.bundleURL
    }

    /// The executable `name`; an error that says how to build it when it is missing.
    public static func executable(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw NSError(domain: "BuiltProducts", code: 1, userInfo: [
                NSLocalizedDescriptionKey: "\(name) is not built at \(url.path) (swift build --build-tests, or make test, builds it)"])
        }
        return url
    }
}
