import Pipeline

/// The stages speak Pipeline's JSON (manifests, summaries); LoRA has its own reader for
/// PEFT's files. This settles which one the name means here.
typealias JSONValue = Pipeline.JSONValue
