// `tokenize`: SentencePiece encoding and decoding for people and scripts.
TokenizeCommand.main()
