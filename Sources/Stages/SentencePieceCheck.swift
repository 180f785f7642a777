import SentencePiece

/// The tokenizer file as later stages will read it.
enum SentencePieceCheck {
    static func pieceCount(path: String) throws -> Int {
        try SentencePieceProcessor(path: path).vocabularySize
    }
}
