/// Hugging Face's T5 conventions on top of a SentencePiece model: `</s>` (id 1)
/// ends every sequence, `<pad>` is id 0, and the 100 sentinels `<extra_id_N>`
/// sit above the model's pieces in reverse order (`<extra_id_0>` = 32099 …
/// `<extra_id_99>` = 32000 for T5's 32,000 pieces).
///
/// Text is encoded exactly as the `sentencepiece` library does; like it (and
/// unlike HF, which splits them out first), `<extra_id_N>` written inside a text
/// is encoded as ordinary characters.
import Failures
public struct T5Tokenizer: Sendable {
    public static let padId: Int32 = 0
    public static let eosId: Int32 = 1
    public static let sentinelCount = 100

    public let processor: SentencePieceProcessor

    public init(processor: SentencePieceProcessor) throws {
        guard processor.padId == Self.padId, processor.eosId == Self.eosId else {
            throw PipelineError(.badInput,
                "not a T5 tokenizer: pad id \(processor.padId) and eos id \(processor.eosId), expected 0 and 1")
        }
        self.processor = processor
    }

    public init(path: String) throws {
        do {
            try self.init(processor: try SentencePieceProcessor(path: path))
        } catch let error as PipelineError {
            throw error.at(path: path)
        }
    }

    /// Pieces plus sentinels: 32,100 for T5 (the model's embedding has 32,128 rows).
    public var vocabularySize: Int { processor.vocabularySize + Self.sentinelCount }

    /// The id of `<extra_id_n>`, `n` in 0..<100.
    public func sentinelId(_ n: Int) -> Int32 {
        precondition(n >= 0 && n < Self.sentinelCount, "sentinel index \(n) out of 0..<\(Self.sentinelCount)")
        return Int32(processor.vocabularySize + Self.sentinelCount - 1 - n)
    }

    /// The sentinel number of `id`, or nil when `id` is not a sentinel.
    public func sentinelIndex(of id: Int32) -> Int? {
        let n = processor.vocabularySize + Self.sentinelCount - 1 - Int(id)
        return Int(id) >= processor.vocabularySize && n >= 0 && n < Self.sentinelCount ? n : nil
    }

    /// Ids of `text` followed by `</s>`, cut to at most `maxLength` ids with `</s>` kept
    /// last (HF `truncation=True`); `truncated` tells whether anything was cut.
    public func encode(_ text: String, maxLength: Int? = nil,
                       workspace: SentencePieceProcessor.Workspace = .init()) -> (ids: [Int32], truncated: Bool) {
        Self.finish(processor.encode(text, workspace: workspace), maxLength: maxLength)
    }

    /// `encode` over many texts on `threads` threads, in input order.
    public func encode(batch texts: [String], maxLength: Int? = nil, threads: Int) -> [(ids: [Int32], truncated: Bool)] {
        processor.encode(batch: texts, threads: threads).map { Self.finish($0, maxLength: maxLength) }
    }

    private static func finish(_ body: [Int32], maxLength: Int?) -> (ids: [Int32], truncated: Bool) {
        var ids = body
        var truncated = false
        if let maxLength {
            precondition(maxLength >= 1, "maxLength must leave room for </s>")
            if ids.count > maxLength - 1 {
                ids.removeLast(ids.count - (maxLength - 1))
                truncated = true
            }
        }
        ids.append(eosId)
        return (ids, truncated)
    }

    /// Text of generated or label ids with pad, `</s>` and sentinels skipped
    /// (HF `decode(..., skip_special_tokens=True)`); `-100` label padding is skipped too.
    public func decode(_ ids: [Int32]) throws -> String {
        let kept = ids.filter { $0 != Self.padId && $0 != Self.eosId && $0 != -100 && sentinelIndex(of: $0) == nil }
        return try processor.decode(kept)
    }
}
