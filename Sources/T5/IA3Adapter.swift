// A PEFT IA3 adapter for inference: each targeted projection's output scaled by ia3_l [out, 1], or, on a
// feed-forward module, its input by ia3_l [1, in] (PEFT's IA3 Linear, unmerged).
import Failures
import Kernels
import PEFT

public struct IA3Adapter: Sendable {
    public struct Update: Sendable {
        /// `ia3_l`, flattened: `out` values, or `in` on a feed-forward module.
        public let scaling: [Float]
        public let feedForward: Bool

        public init(scaling: [Float], feedForward: Bool) {
            self.scaling = scaling
            self.feedForward = feedForward
        }
    }

    public let config: IA3Config
    /// By module path.
    public let updates: [String: Update]

    public init(config: IA3Config, updates: [String: Update]) {
        self.config = config
        self.updates = updates
    }

    init(config: IA3Config, files: AdapterFiles) throws {
        var updates: [String: Update] = [:]
        for module in files.modulePaths {
            let (l, shape) = try files.tensor(module, "ia3_l")
            let feedForward = config.isFeedForward(module)
            guard shape.count == 2, feedForward ? shape[0] == 1 : shape[1] == 1 else {
                throw PipelineError.badInput("module '\(module)' has ia3_l \(shape), expected "
                                             + (feedForward ? "[1, in] (a feed-forward module)" : "[out, 1]"), path: files.weightsPath)
            }
            updates[module] = Update(scaling: l, feedForward: feedForward)
        }
        self.init(config: config, updates: updates)
    }
}

extension T5Model {
    /// Attaches an IA3 adapter, unmerged: the vector's length must be the projection's output (or, feed-forward,
    /// input) width; every module is checked before anything changes.
    public func apply(_ adapter: IA3Adapter) throws {
        try attach(adapter.updates.mapValues { u in
            (.ia3(scaling: FloatBuffer(u.scaling), feedForward: u.feedForward), { p in
                let width = u.feedForward ? p.inFeatures : p.outFeatures
                return u.scaling.count == width ? nil
                    : "has an ia3_l of \(u.scaling.count) values but its \(u.feedForward ? "input" : "output") is \(width) wide"
            })
        })
    }
}
