// `tokenize`: the stage, and SentencePiece encoding and decoding for people and scripts.
TokenizeCommand.mainReportingErrors()
