#!/usr/bin/env bash
# Encode-only benchmark: this package's tokenizer (release build, the `spm-bench` tool)
# against the `sentencepiece` library on the same corpus and model, one thread each,
# then both batch APIs on THREADS threads. Prints both JSON reports and the ratios.
#
# usage: scripts/bench/spm_bench.sh [MODEL] [CORPUS] [THREADS]
#   defaults: Tests/Fixtures/SentencePiece/t5.model, .../corpus.txt (20,000 lines), 2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL=${1:-Tests/Fixtures/SentencePiece/t5.model}
CORPUS=${2:-Tests/Fixtures/SentencePiece/corpus.txt}
THREADS=${3:-2}

bench_build --product spm-bench >/dev/null
BIN=$BENCH_BIN/spm-bench

ref=$("$PY" scripts/bench/spm_bench.py --model "$MODEL" --input "$CORPUS" --threads "$THREADS")
ours=$("$BIN" --model "$MODEL" --input "$CORPUS" --threads "$THREADS")
echo "reference: $ref"
echo "swift:     $ours"
"$PY" - "$ref" "$ours" <<'PYEOF'
import json, sys
ref, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert ref["lines"] == ours["lines"] and ref["tokens"] == ours["tokens"], "the two runs did not encode the same thing"
print(f"corpus: {ours['lines']} lines, {ours['bytes'] / 1e6:.2f} MB, {ours['tokens']} tokens")
print(f"1 thread : swift {ours['lines_per_s_1thread']:,.0f} lines/s {ours['mb_per_s_1thread']:.2f} MB/s | "
      f"sentencepiece {ref['lines_per_s_1thread']:,.0f} lines/s {ref['mb_per_s_1thread']:.2f} MB/s | "
      f"ratio {ref['seconds_1thread'] / ours['seconds_1thread']:.2f}x")
print(f"1 thread, library's C++ batch loop (no per-call Python cost): sentencepiece {ref['lines_per_s_batch_1thread']:,.0f} lines/s | "
      f"ratio {ref['seconds_batch_1thread'] / ours['seconds_1thread']:.2f}x")
print(f"batch {ours['threads']} threads: swift {ours['lines_per_s_batch']:,.0f} lines/s | "
      f"sentencepiece {ref['lines_per_s_batch']:,.0f} lines/s | ratio {ref['seconds_batch'] / ours['seconds_batch']:.2f}x | "
      f"swift batch vs library 1 thread {ref['seconds_1thread'] / ours['seconds_batch']:.2f}x")
PYEOF
