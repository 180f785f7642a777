import Foundation

/// A fresh directory under the system temp dir, removed when the last reference goes.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("flan-lora-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// JSONL rows from (id, text) pairs under the given text field.
    @discardableResult
    public func writeRows(_ name: String, field: String, _ rows: [(String, String)]) throws -> URL {
        let lines = try rows.map { id, text -> String in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": id, field: text], options: [.sortedKeys]), as: UTF8.self)
        }
        return try write(name, lines.joined(separator: "\n") + "\n")
    }
}
