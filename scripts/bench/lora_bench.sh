#!/usr/bin/env bash
# Times the LoRA library's per-step pieces against PyTorch on the same machine, 2 threads.
# Usage: scripts/bench/lora_bench.sh   (from any folder; env: PY, TMPDIR)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
out=${TMPDIR:-/tmp}/lora_bench
mkdir -p "$out"
bench_build --product lora-bench > "$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
bench="$BENCH_BIN/lora-bench"
echo "== Swift"; "$bench" | tee "$out/swift.txt"
echo "== PyTorch"; "$PY" scripts/bench/lora_bench_torch.py | tee "$out/torch.txt"
echo "== ratio (PyTorch time / Swift time; > 1 means Swift is faster)"
awk -F': ' 'NR==FNR { gsub(/ ms/, "", $2); t[$1] = $2; next } ($1 in t) { gsub(/ ms/, "", $2); printf "%s: %.2fx\n", $1, t[$1] / $2 }' "$out/torch.txt" "$out/swift.txt"
