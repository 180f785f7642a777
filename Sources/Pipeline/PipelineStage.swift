/// The pipeline's stages, written once: each instance (its name in the lock, its manifest and its make target), the
/// tool and arguments that run it, and the instances make runs before it. The report, `pipeline-report status` and
/// score-rouge's record of the runs it scored read this table. The Makefile and the README's diagram are text that
/// cannot read it: `PipelineStageTests` fails when they drift from it.
public struct PipelineStage: Sendable, Equatable {
    public var instance: String
    /// The executable, and the arguments that choose this instance of it (`generate --variant base`).
    public var tool: String
    public var arguments: [String] = []
    /// The instances that run first (make's prerequisites); the ones before those follow through them.
    public var needs: [String] = []

    /// How the README's diagram names it: the tool and its arguments.
    public var command: String { ([tool] + arguments).joined(separator: " ") }

    /// Every stage, in the order make runs them (each after what it needs).
    public static let all: [PipelineStage] = [
        PipelineStage(instance: "fetch-samsum", tool: "fetch-samsum"),
        PipelineStage(instance: "fetch-model", tool: "fetch-model"),
        PipelineStage(instance: "tokenize", tool: "tokenize", needs: ["fetch-samsum", "fetch-model"]),
        PipelineStage(instance: "train-lora", tool: "train-lora", needs: ["tokenize"]),
        PipelineStage(instance: "generate-base", tool: "generate", arguments: ["--variant", "base"], needs: ["tokenize"]),
        PipelineStage(instance: "generate-lora", tool: "generate", arguments: ["--variant", "lora"], needs: ["train-lora"]),
        PipelineStage(instance: "score-rouge", tool: "score-rouge", needs: ["generate-base", "generate-lora"]),
    ]

    /// The instances in run order.
    public static var instances: [String] { all.map(\.instance) }

    /// Every instance that runs before `instance`, directly or through another, in run order.
    public static func upstream(of instance: String) -> [String] {
        var found: Set<String> = []
        var pending = all.first { $0.instance == instance }?.needs ?? []
        while let next = pending.popLast() {
            guard found.insert(next).inserted else { continue }
            pending += all.first { $0.instance == next }?.needs ?? []
        }
        return instances.filter(found.contains)
    }
}
