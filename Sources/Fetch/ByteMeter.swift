import Failures
import Foundation
import Pipeline

/// Download progress in KiB on top of `Progress`, created on the first response
/// (when the size is known) and reused across retries and mirrors.
final class ByteMeter: @unchecked Sendable {
    private let label: String
    private let expectedSize: Int?
    private let quiet: Bool
    private var progress: Pipeline.Progress?

    init(label: String, expectedSize: Int?, quiet: Bool) {
        self.label = label
        self.expectedSize = expectedSize
        self.quiet = quiet
    }

    func begin(total: Int?, done: Int) {
        let totalKiB = (total ?? expectedSize).map { ($0 + 1023) / 1024 }
        if let progress {
            progress.setTotal(totalKiB)
        } else {
            progress = Pipeline.Progress(label, total: totalKiB, unit: "KiB", quiet: quiet)
        }
        progress?.update(done: done / 1024)
    }

    func update(done: Int) { progress?.update(done: done / 1024) }

    func note(_ raw: String) {
        let text = redactingURLCredentials(raw)  // retry lines quote the URL
        if let progress {
            progress.advance(by: 0, note: text)
        } else if !quiet {
            report("\(label): \(text)")
        }
    }

    func finish(note: String? = nil) { progress?.finish(note: note) }
}
