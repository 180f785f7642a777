import Foundation
import Pipeline
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request on its own URLSession, blocking the caller until it ends.
///
/// The body is streamed to a sink chosen after the status line and headers are
/// known, so a 404 page or a refused range never touches the partial file.
/// The idle timeout is enforced here rather than by URLSession, whose Linux
/// implementation rounds it down to whole seconds. Callbacks arrive on a private
/// serial queue, the watchdog on another; `lock` guards the shared state.
final class HTTPExchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Response {
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        var url: URL?

        subscript(header name: String) -> String? { headers[name.lowercased()] }
    }

    enum Redirects {
        case follow
        /// Stop at the first redirect and report it (e.g. to read Hugging Face's
        /// `X-Linked-Etag` before the CDN hop); same-host redirects are followed.
        case sameHostOnly
    }

    enum Failure: Error {
        case timedOut
        case transport(String)
        /// The sink refused the body (disk error, too many bytes).
        case sink(any Error)
    }

    struct Outcome {
        var response: Response?
        /// nil when the body ended normally or was deliberately discarded.
        var failure: Failure?
        var bodyBytes: Int
    }

    typealias Sink = (Data) throws -> Void

    private let options: DownloadOptions
    private let redirects: Redirects
    private let decide: (Response) -> Sink?
    private let baseHeaders: [String: String]
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var lastActivity = DispatchTime.now()
    private var finished = false
    private weak var task: URLSessionTask?

    private var response: Response?
    private var sink: Sink?
    private var discarded = false
    private var failure: Failure?
    private var bodyBytes = 0

    private init(options: DownloadOptions, redirects: Redirects, baseHeaders: [String: String],
                 decide: @escaping (Response) -> Sink?) {
        self.options = options
        self.redirects = redirects
        self.baseHeaders = baseHeaders
        self.decide = decide
    }

    /// Performs `method url` with the project's standard headers plus `headers`.
    /// `decide` sees the final response and returns where its body goes, or nil to
    /// drop the body (the request is then cancelled, not counted as a failure).
    static func perform(_ method: String, _ url: URL, headers: [String: String] = [:],
                        options: DownloadOptions, redirects: Redirects = .follow,
                        decide: @escaping (Response) -> Sink?) -> Outcome {
        var base = headers
        base["User-Agent"] = options.userAgent
        // Ranges must address the stored bytes, so no transparent compression.
        base["Accept-Encoding"] = "identity"
        let exchange = HTTPExchange(options: options, redirects: redirects, baseHeaders: base, decide: decide)

        let configuration = URLSessionConfiguration.ephemeral
        // The watchdog below is the real idle timeout; URLSession's is only a backstop.
        configuration.timeoutIntervalForRequest = max(options.requestTimeout * 2, options.requestTimeout + 5)
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: queue)

        let task = session.dataTask(with: exchange.request(for: url, method: method))
        exchange.task = task
        let watchdog = exchange.startWatchdog()
        task.resume()
        exchange.done.wait()
        watchdog.cancel()
        session.finishTasksAndInvalidate()
        return exchange.lock.withLock {
            Outcome(response: exchange.response, failure: exchange.failure, bodyBytes: exchange.bodyBytes)
        }
    }

    /// Cancels the task when nothing has arrived for `requestTimeout` seconds.
    private func startWatchdog() -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        let tick = max(0.01, min(0.25, options.requestTimeout / 4))
        timer.schedule(deadline: .now() + tick, repeating: tick)
        let limit = UInt64(options.requestTimeout * 1e9)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let expired: Bool = self.lock.withLock {
                guard !self.finished, self.failure == nil,
                      DispatchTime.now().uptimeNanoseconds - self.lastActivity.uptimeNanoseconds > limit else {
                    return false
                }
                self.failure = .timedOut
                return true
            }
            if expired { self.task?.cancel() }
        }
        timer.resume()
        return timer
    }

    private func touch() { lastActivity = DispatchTime.now() }

    private func request(for url: URL, method: String) -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData,
                                 timeoutInterval: options.requestTimeout)
        request.httpMethod = method
        for (name, value) in baseHeaders { request.setValue(value, forHTTPHeaderField: name) }
        if let token = options.bearerToken, options.mayReceiveToken(url) {
            request.setValue(token.headerValue, forHTTPHeaderField: "Authorization")
        }
        return request
    }

    private static func response(from urlResponse: URLResponse) -> Response {
        guard let http = urlResponse as? HTTPURLResponse else {
            return Response(status: 0, headers: [:], url: urlResponse.url)
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return Response(status: http.statusCode, headers: headers, url: http.url)
    }

    // MARK: URLSession delegate (serial queue)

    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection redirect: HTTPURLResponse, newRequest: URLRequest,
                    completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        lock.withLock { touch() }
        let from = task.currentRequest?.url ?? task.originalRequest?.url
        let sameHost = newRequest.url?.host?.lowercased() == from?.host?.lowercased()
        if redirects == .sameHostOnly && !sameHost {
            // The task then completes with the redirect itself as its response.
            completionHandler(nil)
            return
        }
        // Rebuild rather than trust the copied headers: the token must not follow
        // a redirect to another host (e.g. a CDN with a signed URL).
        guard let target = newRequest.url else { completionHandler(nil); return }
        var next = request(for: target, method: newRequest.httpMethod ?? "GET")
        if options.bearerToken != nil, !options.mayReceiveToken(target) {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive urlResponse: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let response = Self.response(from: urlResponse)
        lock.withLock {
            touch()
            self.response = response
        }
        // `decide` may touch the disk, so it runs outside the lock.
        let sink = decide(response)
        lock.withLock {
            self.sink = sink
            discarded = sink == nil
        }
        completionHandler(sink == nil ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let sink: Sink? = lock.withLock {
            touch()
            return failure == nil ? self.sink : nil
        }
        guard let sink else { return }
        do {
            try sink(data)
            lock.withLock { bodyBytes += data.count }
        } catch {
            lock.withLock { failure = .sink(error) }
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        defer {
            finished = true
            lock.unlock()
            done.signal()
        }
        if response == nil, let urlResponse = task.response {
            // A redirect we declined ends here with the 3xx as the final response.
            response = Self.response(from: urlResponse)
        }
        if let error, failure == nil, !discarded {
            let code = (error as? URLError)?.code ?? URLError.Code(rawValue: (error as NSError).code)
            switch code {
            case .timedOut:
                failure = .timedOut
            case .cancelled where response?.status ?? 0 >= 300 && response?.status ?? 0 < 400:
                break
            default:
                failure = .transport(Self.describe(error))
            }
        }
    }

    /// URLSession's messages, without the user-info dump (which may repeat the URL).
    private static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        return "\(ns.localizedDescription) (\(ns.domain) \(ns.code))"
    }
}
