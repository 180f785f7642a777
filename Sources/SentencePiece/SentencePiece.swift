// The SentencePiece module: see docs/ARCHITECTURE.md.
