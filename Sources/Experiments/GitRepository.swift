import Failures
import Foundation
import Rouge

/// Reads files of a git repository at a revision (`git show REV:path`) or in the working
/// tree, through the `git` executable.
public struct GitRepository: Sendable {
    /// The repository's top-level directory.
    public let root: URL
    /// Files larger than this at a revision are refused rather than read.
    public static let maximumFileBytes = 256 << 20

    /// The repository containing `directory`.
    public init(containing directory: URL) throws(PipelineError) {
        let result = try Self.git(["rev-parse", "--show-toplevel"], in: directory)
        guard result.status != 127 else { throw PipelineError(.io, "git is not installed (needed to read revisions)") }
        guard result.status == 0 else {
            throw PipelineError(.usage, "not inside a git repository", path: directory.path)
        }
        let top = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        root = URL(fileURLWithPath: top)
    }

    /// The full commit hash of `revision`, or an error naming it.
    public func commit(_ revision: String) throws(PipelineError) -> String {
        guard !revision.hasPrefix("-") else { throw PipelineError(.usage, "invalid revision \"\(revision)\"") }
        let result = try Self.git(["rev-parse", "--verify", "--quiet", "\(revision)^{commit}"], in: root)
        guard result.status == 0 else {
            throw PipelineError(.usage, "unknown revision \"\(revision)\"", path: root.path)
        }
        return String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The subject line of `commit`'s message.
    public func subject(_ commit: String) throws(PipelineError) -> String {
        let result = try Self.git(["log", "-1", "--format=%s", commit, "--"], in: root)
        guard result.status == 0 else { throw PipelineError(.usage, "unknown revision \"\(commit)\"", path: root.path) }
        return String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The content of `path` (relative to the top level) at `revision`, or in the working
    /// tree when `revision` is nil; nil when the file does not exist there.
    public func file(_ path: String, at revision: String?) throws(PipelineError) -> Data? {
        guard let revision else {
            let url = root.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return try JSONLinesFile.readBounded(url: url)
        }
        let object = "\(try commit(revision)):\(path)"
        let size = try Self.git(["cat-file", "-s", object], in: root)
        guard size.status == 0 else { return nil }
        let bytes = Int(String(decoding: size.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? Int.max
        guard bytes <= Self.maximumFileBytes else {
            throw PipelineError(.badInput, "\(path) is \(bytes) bytes at \(revision), more than the limit", path: root.path)
        }
        let content = try Self.git(["cat-file", "blob", object], in: root)
        guard content.status == 0 else {
            throw PipelineError(.io, "git cat-file failed for \(object)", path: root.path)
        }
        return content.output
    }

    /// Runs git with stdout captured and stderr discarded (failures are reported from the exit status).
    static func git(_ arguments: [String], in directory: URL) throws(PipelineError) -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw PipelineError(.io, "cannot run git: \(error.localizedDescription)")
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
