import XCTest
@testable import Pipeline

/// Progress lines: after `--resume` the rate and ETA count only the steps this process ran (a resumed run at
/// step 50 printed 5178153.1 steps/s), and the elapsed time is labelled.
final class ProgressTests: XCTestCase {
    func testResumedRunRatesOnlyItsOwnSteps() {
        let line = Progress.line(label: "train-lora", done: 52, baseline: 50, total: 188, unit: "steps", elapsed: 1,
                                 note: "loss 1.2", live: false, final: false)
        XCTAssertEqual(line, "train-lora: 52/188 steps 2.0 steps/s ETA 1:08 elapsed 0:01 loss 1.2")
        let fresh = Progress.line(label: "train-lora", done: 2, baseline: 0, total: 188, unit: "steps", elapsed: 1,
                                  note: "", live: false, final: false)
        XCTAssertEqual(fresh, "train-lora: 2/188 steps 2.0 steps/s ETA 1:33 elapsed 0:01")
    }

    func testInterruptionLineNamesTheToolAndWhatIsKept() {
        defer { Interruption.note = nil }
        Interruption.note = nil
        let name = ProcessInfo.processInfo.processName
        XCTAssertEqual(Interruption.message, "\(name): interrupted; no output was published\n")
        Interruption.note = "the checkpoint of step 50 is kept; rerun with --resume (make reruns with it) to continue from there"
        XCTAssertEqual(Interruption.message, "\(name): interrupted; no output was published; the checkpoint of step 50 is kept; "
                                             + "rerun with --resume (make reruns with it) to continue from there\n")
    }
}
