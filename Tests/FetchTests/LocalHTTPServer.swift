import FlyingFox
import FlyingSocks
import Foundation

/// A FlyingFox server on 127.0.0.1 at a random port, with a log of the requests
/// it saw, for testing the downloader against real sockets.
final class LocalHTTPServer: @unchecked Sendable {
    struct LoggedRequest: Sendable {
        var method: String
        var path: String
        var headers: [String: String]

        subscript(header name: String) -> String? { headers[name.lowercased()] }
    }

    private let server: HTTPServer
    private var task: Task<Void, any Error>?
    private(set) var port: UInt16 = 0
    private let lock = NSLock()
    private var log: [LoggedRequest] = []

    init(handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        let box = Box()
        server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 30, logger: .disabled,
                            handler: ClosureHTTPHandler { request in
                                box.server?.record(request)
                                return try await handler(request)
                            })
        box.server = self
    }

    private final class Box: @unchecked Sendable { weak var server: LocalHTTPServer? }

    func start() async throws {
        let server = self.server
        task = Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port)? = await server.listeningAddress else {
            throw NSError(domain: "LocalHTTPServer", code: 1)
        }
        self.port = port
    }

    func stop() async {
        await server.stop(timeout: 0)
        task?.cancel()
    }

    func url(_ path: String, host: String = "127.0.0.1") -> URL {
        URL(string: "http://\(host):\(port)\(path)")!
    }

    var requests: [LoggedRequest] { lock.withLock { log } }

    private func record(_ request: HTTPRequest) {
        var headers: [String: String] = [:]
        for (key, value) in request.headers { headers[key.rawValue.lowercased()] = value }
        let entry = LoggedRequest(method: request.method.rawValue, path: request.path, headers: headers)
        lock.withLock { log.append(entry) }
    }
}

/// Response bodies that misbehave on purpose.
enum MisbehavingBody {
    struct Cut: Error {}

    /// Sends `data`, then fails, which makes the server drop the connection while
    /// the client still expects `declaredCount` bytes.
    static func cut(after data: Data, declaredCount: Int) -> HTTPBodySequence {
        HTTPBodySequence(from: ThenFail(data: data), count: declaredCount, suggestedBufferSize: max(1, data.count))
    }

    struct ThenFail: AsyncBufferedSequence, Sendable {
        typealias Element = UInt8
        let data: Data

        func makeAsyncIterator() -> Iterator { Iterator(data: data) }

        struct Iterator: AsyncBufferedIteratorProtocol {
            let data: Data
            var sent = false

            mutating func next() async throws -> UInt8? {
                guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
                return buffer.first
            }

            mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
                guard !sent, !data.isEmpty else { throw Cut() }
                sent = true
                return [UInt8](data)
            }
        }
    }
}

/// Runs blocking downloader calls off the cooperative pool, so the in-process
/// server keeps its threads.
@discardableResult
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func testBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
    var state = seed
    var out = Data(capacity: count)
    for _ in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out.append(UInt8(truncatingIfNeeded: state))
    }
    return out
}

extension MisbehavingBody {
    /// Sends `data` in `chunks` pieces with `gap` seconds between them.
    static func trickle(_ data: Data, chunks: Int, gap: TimeInterval) -> HTTPBodySequence {
        HTTPBodySequence(from: Trickle(data: data, chunks: chunks, gap: gap), count: data.count,
                         suggestedBufferSize: max(1, data.count / chunks))
    }

    struct Trickle: AsyncBufferedSequence, Sendable {
        typealias Element = UInt8
        let data: Data
        let chunks: Int
        let gap: TimeInterval

        func makeAsyncIterator() -> Iterator { Iterator(data: [UInt8](data), size: Swift.max(1, data.count / chunks), gap: gap) }

        struct Iterator: AsyncBufferedIteratorProtocol {
            let data: [UInt8]
            let size: Int
            let gap: TimeInterval
            var offset = 0

            mutating func next() async throws -> UInt8? {
                try await nextBuffer(suggested: 1)?.first
            }

            mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
                guard offset < data.count else { return nil }
                if offset > 0 { try await Task.sleep(nanoseconds: UInt64(gap * 1e9)) }
                let end = Swift.min(data.count, offset + size)
                defer { offset = end }
                return data[offset..<end]
            }
        }
    }
}
