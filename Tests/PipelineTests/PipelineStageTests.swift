import Foundation
import XCTest
@testable import Pipeline

/// The stage table (`PipelineStage.all`) is the one list of stages; the Makefile and the README's diagram are text
/// that cannot read it, so these tests fail when either drifts from it.
final class PipelineStageTests: XCTestCase {
    func testEachStageRunsAfterWhatItNeeds() {
        let instances = PipelineStage.instances
        XCTAssertEqual(Set(instances).count, instances.count, "an instance named twice")
        for (index, stage) in PipelineStage.all.enumerated() {
            for need in stage.needs {
                XCTAssertTrue(instances.prefix(index).contains(need), "\(stage.instance) needs \(need), which does not run before it")
            }
        }
        XCTAssertEqual(PipelineStage.upstream(of: "score-rouge"), Array(instances.dropLast()), "score-rouge follows every other stage")
        XCTAssertEqual(PipelineStage.upstream(of: "generate-lora"), ["fetch-samsum", "fetch-model", "tokenize", "train-lora"])
        XCTAssertEqual(PipelineStage.upstream(of: "fetch-model"), [])
    }

    /// Every stage is a make target that needs what the table says (through aggregate targets such as `generate`) and
    /// runs its tool with its arguments; no other target runs a stage; `all` ends with the stages nothing needs; the help
    /// lists them in run order.
    func testTheMakefileRunsTheTablesStages() throws {
        let makefile = try Makefile(TestProject.repoRoot.appendingPathComponent("Makefile"))
        for stage in PipelineStage.all {
            guard let target = makefile.targets[stage.instance] else {
                XCTFail("the Makefile has no target \(stage.instance)")
                continue
            }
            XCTAssertEqual(makefile.stagesNeeded(by: stage.instance), Set(stage.needs), stage.instance)
            if stage.needs.isEmpty { XCTAssertEqual(target.prerequisites, ["build"], stage.instance) }
            let recipe = target.recipe.joined(separator: "\n")
            XCTAssertTrue(recipe.contains("$(BIN)/\(stage.command) "), "\(stage.instance) runs \(stage.command): \(recipe)")
            XCTAssertTrue(recipe.contains("$(call force,\(stage.instance))"), "\(stage.instance): \(recipe)")
        }
        let running = makefile.targets.filter { $0.value.recipe.contains { $0.contains("$(STAGE_ARGS)") } }.keys
        XCTAssertEqual(Set(running), Set(PipelineStage.instances), "the targets that run a stage")
        let needed = Set(PipelineStage.all.flatMap(\.needs))
        XCTAssertEqual(makefile.targets["all"]?.prerequisites, PipelineStage.instances.filter { !needed.contains($0) })
        let phony = try XCTUnwrap(makefile.targets[".PHONY"]).prerequisites
        XCTAssertTrue(Set(PipelineStage.instances).isSubset(of: phony), "\(phony)")
        let help = makefile.text.components(separatedBy: "make <stage>").dropFirst().first?.components(separatedBy: "(FORCE=1").first ?? ""
        let listed = help.components(separatedBy: .whitespacesAndNewlines).map { $0.trimmingCharacters(in: ["\""]) }
            .filter { PipelineStage.instances.contains($0) }
        XCTAssertEqual(listed, PipelineStage.instances, "make help's list of stages")
    }

    /// The README's diagram names every stage by its command (and the report last), each to the right of what it needs.
    func testTheREADMEDiagramDrawsTheTablesStages() throws {
        let readme = try String(contentsOf: TestProject.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let code = readme.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let diagram = try XCTUnwrap(code.first { $0.contains("─") }, "no diagram in README.md")
        var columns: [String: Int] = [:]
        for line in diagram.split(separator: "\n") {
            let characters = Array(line)
            var start = 0
            while start < characters.count {
                guard !Self.drawing.contains(characters[start]) else { start += 1; continue }
                var end = start
                while end < characters.count, !Self.drawing.contains(characters[end]) { end += 1 }
                let label = String(characters[start..<end]).trimmingCharacters(in: .whitespaces)
                if !label.isEmpty {
                    XCTAssertNil(columns[label], "\(label) is drawn twice")
                    columns[label] = start
                }
                start = end
            }
        }
        XCTAssertEqual(Set(columns.keys), Set(PipelineStage.all.map(\.command) + ["pipeline-report"]))
        for stage in PipelineStage.all {
            for need in stage.needs {
                let needed = PipelineStage.all.first { $0.instance == need }!.command
                guard let before = columns[needed], let after = columns[stage.command] else { continue }  // missing: failed above
                XCTAssertLessThan(before, after, "\(stage.command) is drawn after \(needed)")
            }
        }
        XCTAssertEqual(columns.max { $0.value < $1.value }?.key, "pipeline-report")
    }

    /// The box-drawing characters and spaces between the diagram's labels (a label may hold single spaces).
    static let drawing: Set<Character> = ["─", "┐", "┘", "├", "┤", "┬", "┴", "└", "┌", "│", "┼"]
}

/// A Makefile's rules, as far as these tests read them: `target: prerequisites` and the tab-indented recipe after it.
struct Makefile {
    struct Target {
        var prerequisites: [String]
        var recipe: [String] = []
    }

    let text: String
    var targets: [String: Target] = [:]

    init(_ url: URL) throws {
        text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("\t"), let name = current {
                targets[name]?.recipe.append(String(line.dropFirst()))
                continue
            }
            current = nil
            // a rule, not an assignment (`X := …`, `X ?= …`, `X = …`)
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":"), !line[colon...].hasPrefix(":="),
                  !line[..<colon].contains("="), !line[..<colon].contains(" ") else { continue }
            let name = String(line[..<colon])
            targets[name] = Target(prerequisites: line[line.index(after: colon)...].split(separator: " ").map(String.init))
            current = name
        }
    }

    /// The stages `target` needs directly: its prerequisites, with an aggregate target (no recipe: `generate`) replaced
    /// by its own prerequisites; `build` is not a stage.
    func stagesNeeded(by target: String) -> Set<String> {
        var stages: Set<String> = []
        for prerequisite in targets[target]?.prerequisites ?? [] where prerequisite != "build" {
            if let aggregate = targets[prerequisite], aggregate.recipe.isEmpty {
                stages.formUnion(stagesNeeded(by: prerequisite))
            } else {
                stages.insert(prerequisite)
            }
        }
        return stages
    }
}
