import Failures
import Foundation
import Pipeline

/// How the downloader talks to servers. The defaults suit a 1 GB model file on a
/// flaky connection; tests shrink the timeouts and back-off.
public struct DownloadOptions: Sendable {
    /// arXiv refuses anonymous clients, and a descriptive agent is polite everywhere.
    public static let defaultUserAgent = "flan-lora-pipeline/0.1 (+reproducible research; contact in README)"

    public var userAgent: String
    /// Sent only to `tokenHosts` (and dropped on redirects to any other host).
    public var bearerToken: BearerToken?
    /// Hosts (lowercase) allowed to receive `bearerToken`.
    public var tokenHosts: Set<String>
    /// Idle timeout: a request fails when no byte arrives for this long. It is not a
    /// limit on the whole transfer, so a large file on a slow link still completes.
    public var requestTimeout: TimeInterval
    /// Attempts per mirror that make no progress before moving to the next mirror.
    /// An attempt that adds bytes to the partial file resets the count.
    public var maxAttempts: Int
    /// Back-off before retry n (1-based) is `min(maxBackoff, initialBackoff * 2^(n-1))`.
    public var initialBackoff: TimeInterval
    public var maxBackoff: TimeInterval
    /// Suppresses the progress reporter (errors are still thrown).
    public var quiet: Bool

    public init(userAgent: String = DownloadOptions.defaultUserAgent,
                bearerToken: BearerToken? = nil,
                tokenHosts: Set<String> = ["huggingface.co"],
                requestTimeout: TimeInterval = 60,
                maxAttempts: Int = 5,
                initialBackoff: TimeInterval = 1,
                maxBackoff: TimeInterval = 30,
                quiet: Bool = Pipeline.Progress.quietByDefault) {
        self.userAgent = userAgent
        self.bearerToken = bearerToken
        self.tokenHosts = Set(tokenHosts.map { $0.lowercased() })
        self.requestTimeout = requestTimeout
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.quiet = quiet
    }

    /// Seconds to wait before retry number `attempt` (1-based).
    func backoff(beforeRetry attempt: Int) -> TimeInterval {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        return min(maxBackoff, initialBackoff * pow(2, exponent))
    }

    func mayReceiveToken(_ url: URL?) -> Bool {
        guard let host = url?.host?.lowercased() else { return false }
        return tokenHosts.contains(host)
    }
}

extension URL {
    /// The URL as messages quote it: without a user or password (`redactingURLCredentials`).
    var quoted: String { redactingURLCredentials(absoluteString) }
}
