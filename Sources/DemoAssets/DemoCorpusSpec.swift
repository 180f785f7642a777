/// The demo corpus: its size per split and the seed it is generated from. The archive
/// shipped in `demo/corpus.7z` is rebuilt byte-identically from these values
/// (`demo-assets corpus`), and a test checks that it still is.
public struct DemoCorpusSpec: Sendable {
    public var seed: UInt64 = 20_240_501
    public var train = 3000
    public var validation = 120
    public var test = 120

    public init() {}

    /// The corpus the demo's base model is pretrained on: other dialogues (another seed)
    /// whose "summary" is the extractive lead turn, a different task from the abstractive
    /// third-person summaries that LoRA then learns.
    public static var pretraining: DemoCorpusSpec {
        var s = DemoCorpusSpec()
        s.seed = 20_240_502
        s.useLeadAsSummary = true
        return s
    }

    public var useLeadAsSummary = false

    /// The three splits in SAMSum's order, with disjoint id ranges as in the real corpus.
    public func generate() -> (train: [DemoDialogue], validation: [DemoDialogue], test: [DemoDialogue]) {
        var g = DialogueGenerator(seed: seed)
        let tr = g.split(train, idBase: 13_000_000)
        let va = g.split(validation, idBase: 13_500_000)
        let te = g.split(test, idBase: 13_600_000)
        guard useLeadAsSummary else { return (tr, va, te) }
        let lead = { (d: [DemoDialogue]) in d.map { DemoDialogue(id: $0.id, dialogue: $0.dialogue, summary: $0.lead, lead: $0.lead) } }
        return (lead(tr), lead(va), lead(te))
    }
}
