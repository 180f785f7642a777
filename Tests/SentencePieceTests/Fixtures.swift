import Foundation
import XCTest
@testable import SentencePiece

/// Paths and readers for Tests/Fixtures/SentencePiece (made by scripts/fixtures/spm_make_fixtures.py).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/SentencePiece")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Lines split on "\n" only (a trailing newline ends the last line), as raw bytes.
    static func byteLines(_ name: String) throws -> [ArraySlice<UInt8>] {
        let data = try bytes(name)
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if data.last == 0x0A { lines.removeLast() }
        return lines
    }

    static func lines(_ name: String) throws -> [String] {
        try byteLines(name).map { String(decoding: $0, as: UTF8.self) }
    }

    static func idLines(_ name: String) throws -> [[Int32]] {
        try lines(name).map { $0.split(separator: " ").map { Int32($0)! } }
    }

    /// Models load once per test process: debug builds make loading T5's take a while.
    static func processor(_ model: String) throws -> SentencePieceProcessor {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[model] { return cached }
        let loaded = try SentencePieceProcessor(path: path(model))
        cache[model] = loaded
        return loaded
    }

    nonisolated(unsafe) private static var cache: [String: SentencePieceProcessor] = [:]
    private static let cacheLock = NSLock()

    /// FNV-1a 32-bit, as the fixture script hashes decoded text.
    static func fnv1a32(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    static func show(_ text: String) -> String {
        text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
            .joined()
    }
}
