#!/usr/bin/env bash
# Greedy batch-8 generation, PyTorch against the Swift engine (bf16 and fp32 weights) in alternating
# rounds, so each ratio compares timings from the same half minute (t5_paired.py says why).
# Usage: scripts/bench/t5_paired.sh [ROUNDS]     (env: PY, MODEL, THREADS, OUT)
set -euo pipefail
source "$(dirname "$0")/reference_env.sh"
MODEL=${MODEL:-/tmp/t5bench-base}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/t5bench-out}
mkdir -p "$OUT"
make_base_model "$MODEL"
swift build -c release $(bash scripts/swift_cpu_flags.sh) --product t5-bench 2>&1 | tail -1
"$PY" scripts/bench/t5_paired.py --model "$MODEL" --swift-bench "$(swift build -c release --show-bin-path)/t5-bench" \
    --rounds "${1:-5}" --threads "$THREADS" --json "$OUT/paired.json"
