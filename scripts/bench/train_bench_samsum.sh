#!/usr/bin/env bash
# The reference run's LoRA training on SAMSum's real shapes: train-lora's engine (unpadded) against PyTorch + PEFT
# (padded to each batch's longest, as Hugging Face does), alternating rounds on one random flan-t5-base-size model.
# `train-bench plan` draws the batches from ../shared/data/samsum/lengths.tsv exactly as train-lora would
# (tokenize's subset, pipeline.yaml's seed, batch size and epochs), random token ids at the real lengths;
# train_bench_samsum.py runs them and prints the per-step ratio, the median of the paired ratios and the projected
# wall time of the whole run (all steps + every validation pass) for both.
# Usage: scripts/bench/train_bench_samsum.sh [MODEL_DIR]   (default /tmp/t5base, made by make_t5.py if absent)
# Env: THREADS (2), STEPS (20), GROUPED=1 (train.group_by_length true), LENGTHS (lengths.tsv), OUT (/tmp/train_bench_samsum).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL="${1:-/tmp/t5base}"
THREADS="${THREADS:-2}"
OUT="${OUT:-/tmp/train_bench_samsum}"
samsum_lengths train_bench_samsum
mkdir -p "$OUT"
rm -f "$OUT/plan.json" "$OUT/result.json"

make_base_model "$MODEL"
echo "== building train-bench (release)" >&2
swift build -c release $(bash scripts/swift_cpu_flags.sh) --product train-bench 2>&1 | tail -1 >&2
BENCH="$(swift build -c release $(bash scripts/swift_cpu_flags.sh) --show-bin-path)/train-bench"
"$BENCH" plan --lengths "$LENGTHS" --model "$MODEL" --config pipeline.yaml --steps "${STEPS:-20}" ${GROUPED:+--group-by-length} \
  --out "$OUT/plan.json"
"$PY" scripts/bench/train_bench_samsum.py --model "$MODEL" --plan "$OUT/plan.json" --swift-bench "$BENCH" \
  --config pipeline.yaml --threads "$THREADS" --json "$OUT/result.json"
