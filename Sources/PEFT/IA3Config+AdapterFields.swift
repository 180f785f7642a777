import Failures
import JSON

/// IA3's fields of `adapter_config.json`: `target_modules` and `feedforward_modules` (each a list, written sorted as
/// PEFT writes its sets, or a full-match expression).
extension IA3Config {
    /// Reads IA3's typed fields, removing them from `fields`. A missing `feedforward_modules` is PEFT's T5 default,
    /// as `get_peft_model` fills it in.
    init(taking fields: inout [String: JSONValue], path: String?) throws {
        self.init()
        guard let targets = try AdapterConfig.modules(fields.removeValue(forKey: "target_modules"), name: "target_modules",
                                                      path: path) else {
            throw PipelineError.badInput("target_modules is missing or not a list", path: path)
        }
        (targetModules, targetPattern) = targets
        if let feedforward = try AdapterConfig.modules(fields.removeValue(forKey: "feedforward_modules"),
                                                       name: "feedforward_modules", path: path) {
            (feedforwardModules, feedforwardPattern) = feedforward
        }
    }

    func write(into fields: inout [String: JSONValue]) {
        fields["target_modules"] = AdapterConfig.modulesJSON(targetModules, pattern: targetPattern)
        fields["feedforward_modules"] = AdapterConfig.modulesJSON(feedforwardModules, pattern: feedforwardPattern)
    }

    /// Fields that change the adapter's math or layout: accepted only at their neutral value.
    static let unsupportedUnlessNeutral: [String: JSONValue] = [
        "fan_in_fan_out": .bool(false), "exclude_modules": .null, "modules_to_save": .null,
    ]

    /// What `IA3Config(...).save_pretrained` writes in PEFT 0.21.2 besides the typed fields.
    static let peftDefaults: [String: JSONValue] = [
        "auto_mapping": .null, "exclude_modules": .null, "fan_in_fan_out": .bool(false), "init_ia3_weights": .bool(true),
        "modules_to_save": .null, "peft_type": .string("IA3"), "peft_version": .string(AdapterConfig.peftVersion),
        "revision": .null, "task_type": .string("SEQ_2_SEQ_LM"),
    ]
}
