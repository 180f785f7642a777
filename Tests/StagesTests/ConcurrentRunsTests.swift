import Foundation
import XCTest

/// Several processes of one stage at once on one store (make -j, two terminals, a shared store): every
/// run succeeds, with or without --force, and the published outputs are the same bytes.
final class ConcurrentRunsTests: XCTestCase {
    func testTwoAndFourProcessesOfAStageAtOnceAllSucceedWithTheSameOutputs() throws {
        let exe = try StageTestProject.executable("fetch-samsum")
        let p = try StageTestProject()
        try p.copy(repoFile: "pipeline.demo.yaml", to: "pipeline.demo.yaml")
        try p.copy(repoFile: "demo/corpus.7z", to: "demo/corpus.7z")
        let outputs = ["train", "validation", "test"].map { p.url("data/demo/samsum/\($0).jsonl") }

        func start(force: Bool) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = exe
            process.arguments = ["--config", "pipeline.demo.yaml", "--quiet"] + (force ? ["--force"] : [])
            process.currentDirectoryURL = p.root
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return (process, err)
        }
        var reference: [Data]?
        for round in 0..<20 {
            for count in [2, 4] {
                // Every other round all of them force; otherwise the first one forces and the rest may hit.
                let started = try (0..<count).map { try start(force: round % 2 == 0 || $0 == 0) }
                for (process, err) in started {
                    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    XCTAssertEqual(process.terminationStatus, 0, "round \(round), \(count) processes: \(message)")
                }
                let bytes = try outputs.map { try Data(contentsOf: $0) }
                if let reference { XCTAssertEqual(bytes, reference, "round \(round)") } else { reference = bytes }
            }
        }
        // Nothing half-done is left behind: no temp directories, one entry.
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: p.url("data/demo/store/.tmp").path)) ?? []
        XCTAssertEqual(tmp, [])
    }
}
