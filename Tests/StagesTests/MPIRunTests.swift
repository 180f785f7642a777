import Foundation
import JSON
import Pipeline
import XCTest
@testable import Stages

/// train-lora and generate under `mpirun -np 2` (Open MPI, 1 thread per rank), against one process:
/// the byte-equalities the README promises, and a killed rank that leaves nothing published.
final class MPIRunTests: XCTestCase {
    static let mpirun = "/usr/bin/mpirun"

    /// `mpirun -np <ranks> <program> <arguments>` in `folder`: its exit status and stderr.
    static func mpirun(_ ranks: Int, _ program: String, _ arguments: [String], in folder: URL) throws -> (status: Int32, stderr: String) {
        let process = try start(ranks, program, arguments, in: folder)
        let text = String(decoding: (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    static func start(_ ranks: Int, _ program: String, _ arguments: [String], in folder: URL) throws -> Process {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: mpirun), "Open MPI's mpirun is not installed (make deps)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        // Root in CI containers; more ranks than cores is fine for a correctness test.
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)",
                             try StageTestProject.executable(program).path] + arguments
        process.currentDirectoryURL = folder
        process.standardError = Pipe()
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The files at `paths` are byte-identical in projects `a` and `b`.
    static func assertSameFiles(_ paths: [String], _ a: StageTestProject, _ b: StageTestProject,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for path in paths {
            XCTAssertEqual(try Data(contentsOf: a.url(path)), try Data(contentsOf: b.url(path)), path, file: file, line: line)
        }
    }

    static let training = ["--set", "runtime.threads=1", "--set", "train.epochs=3", "--set", "train.checkpoint_every=2",
                           "--set", "train.eval_every=3", "--set", "train.keep=best"]

    /// Two ranks at batch_size 4 give the bytes of one process at batch_size 2 with grad_accum 2 (every step
    /// has 2 micro-batches; 22 examples make the last step of each epoch a single one), and the lock records
    /// runtime.world_size.
    func testTwoRanksTrainTheBytesOfOneProcessWithTwoMicroBatches() throws {
        let (ranks, args) = try trainOnTwoRanksAndOneProcess(Self.training)
        let lock = try JSONValue.parse(Data(contentsOf: ranks.url("pipeline.lock")))["stages"]?["train-lora"]
        XCTAssertEqual(lock?["params"]?["runtime.world_size"], .int(2))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: ranks.url("data/store/.tmp").path)) ?? []
        XCTAssertEqual(leftovers, [], "no temporaries left")
        // A second run is a cache hit on every rank.
        let again = try Self.mpirun(2, "train-lora", args, in: ranks.root)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("cache hit"), again.stderr)
    }

    /// train.metric_for_best_model rouge1 under two ranks: they share the validation summaries, rank 0 scores, and
    /// both keep the step one process keeps, with the same logged ROUGE (each rank wrote its evaluation adapter into
    /// its own folder of the shared work folder).
    func testKeepBestByGeneratedROUGEUnderTwoRanksGivesOneProcesssBytes() throws {
        let (ranks, _) = try trainOnTwoRanksAndOneProcess(Self.training + ["--set", "train.metric_for_best_model=rouge1"])
        let log = try String(contentsOf: ranks.url("data/adapter/log.jsonl"), encoding: .utf8)
        XCTAssertTrue(log.contains("validation_rouge1"), log)
        let kept = try JSONValue.parse(Data(contentsOf: ranks.url("pipeline.lock")))["stages"]?["train-lora"]?["summary"]?["kept"]
        XCTAssertEqual(kept?["metric"], .string("rouge1"))
    }

    /// train-lora on 22 examples with `extra` under two ranks at batch 4 and in one process at batch 2, grad_accum 2:
    /// the same adapter files, the same log (timings aside) and the same kept record. Returns the ranks' project and
    /// its arguments.
    func trainOnTwoRanksAndOneProcess(_ extra: [String], file: StaticString = #filePath,
                                      line: UInt = #line) throws -> (StageTestProject, [String]) {
        let ranks = try StageTestProject(), single = try StageTestProject()
        let args = try ranks.prepareForTraining(examples: 22, extra: extra)
        _ = try single.prepareForTraining(examples: 22, extra: extra)
        let r = try Self.mpirun(2, "train-lora", ["--quiet"] + args, in: ranks.root)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        try TrainLoRAStage.run(try single.options(args + ["--set", "train.batch_size=2", "--set", "train.grad_accum=2"]),
                               root: single.root)
        try Self.assertSameFiles(["data/adapter/adapter_model.safetensors", "data/adapter/adapter_config.json"], ranks, single)
        let logs = try [ranks, single].map { p in
            try String(contentsOf: p.url("data/adapter/log.jsonl"), encoding: .utf8).split(separator: "\n")
                .map { TrainingSelectionTests.withoutTimings(String($0)) }
        }
        XCTAssertEqual(logs[0], logs[1], "the same losses, norms and validation figures", file: file, line: line)
        let kept = try [ranks, single].map { try JSONValue.parse(Data(contentsOf: $0.url("pipeline.lock")))["stages"]?["train-lora"]?["summary"]?["kept"] }
        XCTAssertEqual(kept[0], kept[1], file: file, line: line)
        return (ranks, args)
    }

    /// The demo (pipeline.demo.yaml, shortened as DemoPipelineTests shortens it) under `mpirun -np 2`, 1 thread per
    /// rank: train-lora at batch 16 gives one process's bytes at batch 8, grad_accum 2, and generate (base and LoRA)
    /// gives one process's predictions.
    func testTheDemoUnderTwoRanksGivesOneProcesssBytes() throws {
        let ranks = try StageTestProject(), single = try StageTestProject()
        let args = ["--config", "pipeline.demo.yaml", "--set", "tokenize.subset_every=25", "--set", "train.max_steps=4",
                    "--set", "generation.limit=6", "--set", "generation.max_new_tokens=12", "--set", "runtime.threads=1"]
        for p in [ranks, single] {
            try p.copyDemoAssets()
            try FetchSamsumStage.run(try p.options(args), root: p.root)
            try FetchModelStage.run(try p.options(args), root: p.root)
            try TokenizeStage.run(try p.options(args), root: p.root)
        }
        let trained = try Self.mpirun(2, "train-lora", ["--quiet"] + args, in: ranks.root)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        try TrainLoRAStage.run(try single.options(args + ["--set", "train.batch_size=8", "--set", "train.grad_accum=2"]),
                               root: single.root)
        try Self.assertSameFiles(["data/demo/adapter/adapter_model.safetensors", "data/demo/adapter/adapter_config.json"],
                                 ranks, single)
        for variant in ["base", "lora"] {
            let r = try Self.mpirun(2, "generate", ["--quiet", "--variant", variant] + args, in: ranks.root)
            XCTAssertEqual(r.status, 0, r.stderr)
            // The same adapter bytes, so one process's run on `single` is the reference.
            try GenerateStage.run(try single.options(args), variant: variant == "base" ? .base : .lora, root: single.root)
            let name = "data/demo/predictions/\(variant).jsonl"
            XCTAssertEqual(try Data(contentsOf: ranks.url(name)), try Data(contentsOf: single.url(name)), variant)
        }
    }

    /// SIGKILL of rank 1 once rank 0 has a checkpoint: the job fails, nothing is published, and
    /// `--resume` under mpirun finishes with the bytes of an uninterrupted run.
    func testKilledRankPublishesNothingAndResumeGivesTheSameBytes() throws {
        let killed = try StageTestProject(), whole = try StageTestProject()
        let args = try killed.prepareForTraining(examples: 22, extra: Self.training + ["--set", "train.epochs=6"])
        _ = try whole.prepareForTraining(examples: 22, extra: Self.training + ["--set", "train.epochs=6"])
        XCTAssertEqual(try Self.mpirun(2, "train-lora", ["--quiet"] + args, in: whole.root).status, 0)

        let job = try Self.start(2, "train-lora", ["--quiet"] + args, in: killed.root)
        let work = killed.url("data/store/.work")
        var victim: pid_t?
        for _ in 0..<1500 where victim == nil && job.isRunning {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
            if entries.contains(where: { FileManager.default.fileExists(atPath: work.appendingPathComponent("\($0)/checkpoint/state.json").path) }) {
                victim = Self.rankProcess(1, under: job.processIdentifier)
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        try XCTSkipUnless(victim != nil, "the job finished before rank 1 could be killed")
        kill(victim!, SIGKILL)
        job.waitUntilExit()
        XCTAssertNotEqual(job.terminationStatus, 0, "a job with a killed rank must fail")
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.url("data/adapter/adapter_model.safetensors").path),
                       "nothing is published")
        let resumed = try Self.mpirun(2, "train-lora", ["--resume"] + args, in: killed.root)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        // The killed follower could not remove its temp folder; the resumed job's follower did.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("flan-lora-rank1-\(victim!)-") }
        XCTAssertEqual(leftovers, [])
        XCTAssertTrue(resumed.stderr.contains("resuming from the checkpoint"), resumed.stderr)
        try Self.assertSameFiles(["data/adapter/adapter_model.safetensors", "data/adapter/adapter_config.json"], killed, whole)
    }

    /// Two ranks share generate's batches: the predictions are the bytes of one process (and so the key, a cache
    /// hit for a single-process run afterwards). Batch size 2 over the 6 test dialogues: ranks take 2 and 1 batches.
    func testTwoRanksGenerateTheBytesOfOneProcess() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "runtime.threads=1", "--set", "generation.batch_size=2",
                                                                 "--set", "train.max_steps=2"])
        try TrainLoRAStage.run(try p.options(args), root: p.root)
        for variant in ["base", "lora"] {
            let r = try Self.mpirun(2, "generate", ["--quiet", "--variant", variant] + args, in: p.root)
            XCTAssertEqual(r.status, 0, r.stderr)
            let ranks = try Data(contentsOf: p.url("data/predictions/\(variant).jsonl"))
            XCTAssertEqual(String(decoding: ranks, as: UTF8.self).split(separator: "\n").count, 6)
            let single = try GenerateStage.run(try p.options(args + ["--force"]), variant: variant == "base" ? .base : .lora, root: p.root)
            XCTAssertFalse(single.cacheHit)
            XCTAssertEqual(try Data(contentsOf: p.url("data/predictions/\(variant).jsonl")), ranks, variant)
        }
    }

    /// Ranks given different settings (`mpirun -np 1 tool … : -np 1 tool … --set …`, as hosts with different copies of
    /// pipeline.yaml would be) stop with one line naming what differs, before anything is computed or published
    /// (issue 33, item 1: a different lr published a mixture under rank 0's key; a different r deadlocked).
    func testRanksGivenDifferentSettingsStopBeforeComputing() throws {
        let p = try StageTestProject()
        let args = try p.prepareForTraining(examples: 8, extra: ["--set", "runtime.threads=1", "--set", "train.max_steps=2",
                                                                 "--set", "generation.batch_size=2"])
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.mpirun), "Open MPI's mpirun is not installed (make deps)")
        func disagree(_ program: String, _ own: [String], _ other: [String]) throws -> (status: Int32, stderr: String) {
            let exe = try StageTestProject.executable(program).path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.mpirun)
            process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "1", exe] + own + args
                + [":", "-np", "1", exe] + own + args + other
            process.currentDirectoryURL = p.root
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        for (other, words) in [(["--set", "train.lr=0.5"], "train.lr: rank 0 0.001, rank 1 0.5"),
                               (["--set", "lora.r=8"], "lora.r: rank 0 4, rank 1 8"),
                               (["--set", "train.seed=7"], "train.seed: rank 0 42, rank 1 7")] {
            let r = try disagree("train-lora", ["--quiet"], other)
            XCTAssertNotEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("the 2 ranks of train-lora were given different settings or inputs (\(words))"), r.stderr)
            XCTAssertTrue(r.stderr.contains("nothing was computed"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/adapter/adapter_model.safetensors").path))
        }
        // another copy of the data on rank 1's host: the same files but for other training tokens
        try FileManager.default.copyItem(at: p.url("data"), to: p.url("data2"))
        try FileManager.default.removeItem(at: p.url("data2/tokens/train.safetensors"))
        try FileManager.default.copyItem(at: p.url("data/tokens/validation.safetensors"), to: p.url("data2/tokens/train.safetensors"))
        try p.write("base: pipeline.yaml\npaths:\n  data: data2\n", to: "host2.yaml")
        let inputs = try disagree("train-lora", ["--quiet"], ["--config", "host2.yaml"])
        XCTAssertNotEqual(inputs.status, 0, inputs.stderr)
        XCTAssertTrue(inputs.stderr.contains("were given different settings or inputs (input train.safetensors: rank 0 \""), inputs.stderr)
        XCTAssertFalse(inputs.stderr.contains("input validation.safetensors"), inputs.stderr)

        try TrainLoRAStage.run(try p.options(args), root: p.root)
        let lock = try Data(contentsOf: p.url("pipeline.lock"))
        let r = try disagree("generate", ["--quiet", "--variant", "lora"], ["--set", "generation.max_new_tokens=5"])
        XCTAssertNotEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("generation.max_new_tokens: rank 0 8, rank 1 5"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.url("data/predictions/lora.jsonl").path))
        XCTAssertEqual(try Data(contentsOf: p.url("pipeline.lock")), lock, "nothing recorded")
    }

    /// The pid of the child of `launcher` whose environment says OMPI_COMM_WORLD_RANK=`rank`.
    static func rankProcess(_ rank: Int, under launcher: pid_t) -> pid_t? {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in procs {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            // stat: "pid (comm) state ppid …"; ranks are children of mpirun (or of its orted).
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            guard fields.count > 1, let parent = pid_t(fields[1]), parent == launcher || isDescendant(parent, of: launcher) else { continue }
            let vars = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if vars.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    static func isDescendant(_ pid: pid_t, of ancestor: pid_t) -> Bool {
        var current = pid
        for _ in 0..<8 {
            guard current > 1, let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
                  let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 1,
                  let parent = pid_t(fields[1]) else { return false }
            if parent == ancestor { return true }
            current = parent
        }
        return false
    }
}
