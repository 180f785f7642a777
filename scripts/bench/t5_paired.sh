#!/usr/bin/env bash
# Greedy generation at batch 1 and 8, PyTorch against the Swift engine in alternating rounds, in bf16 (PyTorch's
# model loaded with torch_dtype=torch.bfloat16; Swift's bf16 mode) and fp32 on both sides, so each ratio
# compares timings from the same half minute (t5_paired.py says why).
# Usage: scripts/bench/t5_paired.sh [ROUNDS]     (env: PY, MODEL, THREADS, OUT, BATCHES "1,8", PRECISIONS "bf16,f32"; also nf4)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL=${MODEL:-/tmp/t5bench-base}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/t5bench-out}
mkdir -p "$OUT"
make_base_model "$MODEL"
bench_build --product t5-bench 2>&1 | tail -1
"$PY" scripts/bench/t5_paired.py --model "$MODEL" --swift-bench "$BENCH_BIN/t5-bench" \
    --rounds "${1:-5}" --threads "$THREADS" --batches "${BATCHES:-1,8}" --precisions "${PRECISIONS:-bf16,f32}" \
    --json "$OUT/paired.json"
echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1); bf16 instructions:" \
  "$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512_bf16|amx_bf16' | tr '\n' ' ' | sed 's/ $//' | grep . || echo none)"
