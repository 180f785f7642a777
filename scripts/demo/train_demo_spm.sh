#!/usr/bin/env bash
# Trains the demo's SentencePiece vocabulary (demo/spiece.model) on the generated demo
# corpus plus the prompt templates, with the `sentencepiece` library's trainer
# (version in the reference venv, pinned in scripts/reference/requirements.txt).
# Same inputs, same trainer version => same model bytes (single-threaded trainer).
#   usage: scripts/demo/train_demo_spm.sh   (run from the repository root)
set -euo pipefail
PY="${PY:-${REFERENCE_VENV:-$HOME/.cache/reference-venv}/bin/python}"
swift build --product demo-assets >/dev/null
tmp=/tmp/flan-lora-demo-spm; rm -rf "$tmp"; mkdir -p "$tmp"  # fixed path: the trainer records it in the model
.build/debug/demo-assets text > "$tmp/corpus.txt"
# The prompts the demo uses, so their words are whole pieces too.
for i in $(seq 1 200); do
  echo "Summarize the following conversation."
  echo "Summary:"
done >> "$tmp/corpus.txt"
"$PY" - "$tmp/corpus.txt" demo/spiece <<'PYEOF'
import sys, sentencepiece as spm
spm.SentencePieceTrainer.train(
    input=sys.argv[1], model_prefix=sys.argv[2], model_type="unigram", vocab_size=384,
    character_coverage=1.0, normalization_rule_name="nmt_nfkc",
    pad_id=0, eos_id=1, unk_id=2, bos_id=-1,          # T5's special ids
    user_defined_symbols=["<file_gif>", "<file_photo>"],
    num_threads=1, input_sentence_size=0, shuffle_input_sentence=False, seed_sentencepiece_size=100000)
PYEOF
rm -f demo/spiece.vocab
sha256sum demo/spiece.model
