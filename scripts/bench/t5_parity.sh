#!/usr/bin/env bash
# Full-size parity (not a test: the model is 1 GB): transformers vs the Swift engine on a random
# flan-t5-base from make_t5.py. Prints encoder/logits max |diff| and how many greedy and beam
# (4 beams, length_penalty 0.6, no_repeat_ngram_size 3) outputs are identical, for fp32 and bf16 weights.
# Usage: scripts/bench/t5_parity.sh      (env: PY, MODEL, OUT)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL=${MODEL:-/tmp/t5bench-base}
OUT=${OUT:-/tmp/t5bench-parity}
if [ ! -f "$MODEL/model.safetensors" ]; then
    "$PY" "$REF/make_t5.py" --size base --seed 0 --out "$MODEL"
fi
"$PY" scripts/fixtures/t5_parity_golden.py --model "$MODEL" --out "$OUT"
bench_build --product t5-bench 2>&1 | tail -1
"$BENCH_BIN/t5-bench" --model "$MODEL" --parity "$OUT"
