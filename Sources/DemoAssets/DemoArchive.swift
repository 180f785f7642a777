import Corpus
import Foundation

extension DemoCorpusSpec {
    /// The corpus as SAMSum ships it: `corpus.7z` with train.json, val.json, test.json.
    /// Same spec, same bytes (the archive writer fixes names, order and times).
    public func writeArchive(to url: URL) throws {
        let s = generate()
        let records = { (d: [DemoDialogue]) in d.map { DialogueRecord(id: $0.id, dialogue: $0.dialogue, summary: $0.summary) } }
        try SamsumArchive.write(splits: [.train: records(s.train), .validation: records(s.validation), .test: records(s.test)],
                                to: url)
    }
}

extension DemoModelRecipe {
    /// Writes config.json, model.safetensors (the seeded initial weights) and a copy of
    /// the tokenizer into `directory`: the starting point of the demo model's pretraining.
    public func writeInitialModel(to directory: URL, spiece: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(configJSON().utf8).write(to: directory.appendingPathComponent("config.json"))
        try initialWeights().write(to: directory.appendingPathComponent("model.safetensors").path)
        let dest = directory.appendingPathComponent("spiece.model")
        try? FileManager.default.removeItem(at: dest)
        try FileManager.default.copyItem(at: spiece, to: dest)
    }
}
