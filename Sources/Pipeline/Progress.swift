import Foundation

/// Progress on stderr: on a terminal a live bar with rate and ETA, redrawn at most
/// ten times a second; otherwise (CI, logs) a plain line every `plainInterval` seconds.
/// The line is testable: `Progress.line` formats it.
/// Thread-safe, so batch workers can report from several threads.
public final class Progress: @unchecked Sendable {
    public let label: String
    public let unit: String
    public private(set) var total: Int?
    private var done = 0
    /// Units done before this process started (a resumed run): the rate and ETA count only this process's.
    private var baseline = 0
    private var note = ""
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var lastDrawnDone = -1
    private let lock = NSLock()
    private let quiet: Bool
    private let live: Bool
    private let plainInterval: TimeInterval

    /// Set once by the stage runner from `--quiet`; new reporters inherit it.
    nonisolated(unsafe) public static var quietByDefault = false

    public init(_ label: String, total: Int?, unit: String = "items",
                quiet: Bool = Progress.quietByDefault, plainInterval: TimeInterval = 5) {
        self.label = label
        self.total = total
        self.unit = unit
        self.quiet = quiet
        self.live = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.plainInterval = plainInterval
    }

    public func setTotal(_ total: Int?) { lock.withLock { self.total = total } }

    /// Adds `n` completed units; `note` is a short status such as "loss 2.31".
    public func advance(by n: Int = 1, note: String? = nil) {
        lock.withLock {
            done += n
            if let note { self.note = note }
            let now = Date()
            let interval = live ? 0.1 : plainInterval
            if now.timeIntervalSince(lastDraw) >= interval { draw(now: now, final: false) }
        }
    }

    /// Starts the count at `done` units that an earlier process did (a resumed run): they count towards the
    /// total, not towards this process's rate.
    public func resume(at done: Int) {
        lock.withLock {
            self.done = done
            baseline = done
        }
    }

    /// Sets the absolute count (for byte counters that restart, e.g. a resumed download).
    public func update(done: Int, note: String? = nil) {
        lock.withLock { self.done = done }
        advance(by: 0, note: note)
    }

    public func finish(note: String? = nil) {
        lock.withLock {
            if let note { self.note = note }
            // A log already has this exact line: do not print it twice.
            if live || done != lastDrawnDone || note != nil { draw(now: Date(), final: true) }
        }
    }

    private func draw(now: Date, final: Bool) {
        lastDraw = now
        lastDrawnDone = done
        guard !quiet else { return }
        let line = Progress.line(label: label, done: done, baseline: baseline, total: total, unit: unit,
                                 elapsed: now.timeIntervalSince(start), note: note, live: live, final: final)
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (final ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// One progress line: count, rate and ETA over the units this process did (`done - baseline`), elapsed time.
    static func line(label: String, done: Int, baseline: Int, total: Int?, unit: String, elapsed: TimeInterval,
                     note: String, live: Bool, final: Bool) -> String {
        let rate = elapsed > 0 ? Double(done - baseline) / elapsed : 0
        var line = "\(label): \(done)"
        if let total { line += "/\(total)" }
        line += " \(unit)"
        if live, let total, total > 0 {
            let width = 24
            let filled = min(width, Int(Double(width) * Double(done) / Double(total)))
            line = "\(label) [" + String(repeating: "#", count: filled)
                + String(repeating: ".", count: width - filled) + "] \(done)/\(total) \(unit)"
        }
        line += String(format: " %.1f %@/s", rate, unit)
        if let total, rate > 0, done < total, !final {
            line += " ETA " + Progress.clock(Double(total - done) / rate)
        }
        line += " elapsed " + Progress.clock(elapsed)
        if !note.isEmpty { line += " " + note }
        return line
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// One line to stderr unless quiet: what a stage did ("cache hit", "wrote 3 files").
public func report(_ message: String) {
    guard !Progress.quietByDefault else { return }
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
