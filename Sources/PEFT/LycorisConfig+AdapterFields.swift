import Failures
import JSON

/// LoHa's and LoKr's fields of `adapter_config.json`: `r`, `alpha`, `target_modules` (sorted, as PEFT writes its set),
/// `rank_pattern` and `alpha_pattern` (kept as read), and LoKr's `decompose_both` and `decompose_factor`.
/// `rank_dropout` and `module_dropout` act in training only: a file's are kept and written back, and a run here trains
/// without them (pipeline.yaml has no keys for them).
extension LycorisConfig {
    init(taking fields: inout [String: JSONValue], lokr: Bool, path: String?) throws {
        func bad(_ m: String) -> PipelineError { .badInput(m, path: path) }
        self.init()
        guard case .int(let r)? = fields.removeValue(forKey: "r") else { throw bad("r is missing or not an integer") }
        rank = r
        switch fields.removeValue(forKey: "alpha") {
        case .int(let a)?: alpha = Double(a)
        case .double(let a)?: alpha = a
        default: throw bad("alpha is missing or not a number")
        }
        guard let targets = try AdapterConfig.modules(fields.removeValue(forKey: "target_modules"), name: "target_modules", path: path) else {
            throw bad("target_modules is missing or not a list")
        }
        (targetModules, targetPattern) = targets
        var patterns = LoRAConfig()
        try patterns.readPatterns(fields, path: path)
        (rankPattern, alphaPattern) = (patterns.rankPattern, patterns.alphaPattern)
        if lokr {
            decomposeBoth = try AdapterConfig.bool(fields.removeValue(forKey: "decompose_both"), default: false,
                                                   name: "decompose_both", path: path)
            switch fields.removeValue(forKey: "decompose_factor") {
            case .int(let f)?: decomposeFactor = f
            case nil, .null?: decomposeFactor = -1
            default: throw bad("decompose_factor is not an integer")
            }
        }
    }

    func write(into fields: inout [String: JSONValue], lokr: Bool) {
        fields["r"] = .int(rank)
        fields["alpha"] = AdapterConfig.number(alpha)
        fields["target_modules"] = AdapterConfig.modulesJSON(targetModules, pattern: targetPattern)
        if lokr {
            fields["decompose_both"] = .bool(decomposeBoth)
            fields["decompose_factor"] = .int(decomposeFactor)
        }
    }

    /// A new config's other fields: PEFT's defaults with this config's patterns.
    static func newFields(_ c: LycorisConfig, peftType: String) -> [String: JSONValue] {
        var fields = peftDefaults
        fields["peft_type"] = .string(peftType)
        if peftType == "LOKR" { fields["rank_dropout_scale"] = .bool(false) }
        fields["rank_pattern"] = .object(c.rankPattern.mapValues { .int($0) })
        fields["alpha_pattern"] = .object(c.alphaPattern.mapValues(AdapterConfig.number))
        return fields
    }

    /// Fields that change the adapter's layout: accepted only at their neutral value.
    static let unsupportedUnlessNeutral: [String: JSONValue] = [
        "layers_to_transform": .null, "layers_pattern": .null, "modules_to_save": .null, "exclude_modules": .null,
    ]

    /// What `LoHaConfig(...)` / `LoKrConfig(...).save_pretrained` write in PEFT 0.21.2 besides the typed fields (LoKr
    /// adds `rank_dropout_scale`).
    static let peftDefaults: [String: JSONValue] = [
        "alpha_pattern": .object([:]), "auto_mapping": .null, "exclude_modules": .null, "init_weights": .bool(true),
        "layers_pattern": .null, "layers_to_transform": .null, "module_dropout": .double(0), "modules_to_save": .null,
        "peft_version": .string(AdapterConfig.peftVersion), "rank_dropout": .double(0), "rank_pattern": .object([:]),
        "revision": .null, "task_type": .string("SEQ_2_SEQ_LM"), "use_effective_conv2d": .bool(false),
    ]
}
