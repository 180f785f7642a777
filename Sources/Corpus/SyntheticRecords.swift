/// Records shaped like SAMSum's for the corpus benchmark and tests (corpus-bench, SyntheticCorpusRoundTripTests):
/// 3-14 turns of CRLF-separated messages with quotes, slashes, non-ASCII and an emoji, ids from 13800000.
extension DialogueRecord {
    public static func synthetic(_ count: Int) -> [DialogueRecord] {
        let names = ["Amanda", "Jerry", "Olivia", "Oliver", "Tim", "Kim", "Zoë", "Łukasz"]
        return (0..<count).map { i in
            let turns = 3 + i % 12
            let dialogue = (0..<turns).map { t in
                "\(names[(i + t) % names.count]): message \(t) about \"plan #\(i)\" / café \u{1F600}"
            }.joined(separator: "\r\n")
            return DialogueRecord(id: String(13_800_000 + i), dialogue: dialogue,
                                  summary: "\(names[i % names.count]) and \(names[(i + 1) % names.count]) talk (#\(i)).")
        }
    }
}
