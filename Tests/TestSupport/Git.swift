import Foundation

/// git as the tests run it: in one repository, as a fixed test identity, unsigned commits.
public enum Git {
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String], status: Int32, stderr: String
        public var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// Runs git in `repository` and returns its trimmed stdout; a non-zero exit is an error carrying stderr.
    @discardableResult
    public static func run(_ arguments: [String], in repository: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repository.path, "-c", "user.name=Test", "-c", "user.email=test@example.com",
                             "-c", "commit.gpgsign=false"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(arguments: arguments, status: process.terminationStatus, stderr: String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
