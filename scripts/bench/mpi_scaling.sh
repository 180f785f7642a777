#!/usr/bin/env bash
# train-lora itself on SAMSum's real shapes, in one process and under Open MPI's mpirun: steps/s at
# 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1 thread (each rank one micro-batch of every step),
# and per step the seconds rank 0 waits for the other rank's micro-batch (log.jsonl's waiting_s: a barrier)
# and then spends moving the gradients (communication_s: the ordered gather + broadcast of the sum). Random flan-t5-base-size model; token files from
# scripts/bench/samsum_lengths.tsv (`train-bench tokens`: the reference subset, random ids, real lengths);
# pipeline.yaml's settings (batch 8, LoRA r 32 on q, v), STEPS optimiser steps, the first left out of the mean.
# Usage: scripts/bench/mpi_scaling.sh [MODEL_DIR]   (default /tmp/t5base, made by make_t5.py if absent)
# Env: STEPS (8), OUT (/tmp/mpi_scaling), LENGTHS (scripts/bench/samsum_lengths.tsv).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL="${1:-/tmp/t5base}"
STEPS="${STEPS:-8}"
OUT="${OUT:-/tmp/mpi_scaling}"
samsum_lengths mpi_scaling
command -v mpirun >/dev/null || { echo "mpi_scaling: no mpirun (make deps installs Open MPI)" >&2; exit 1; }

make_base_model "$MODEL"
echo "== building train-lora and train-bench (release)" >&2
for product in train-lora train-bench; do
    bench_build --product "$product" 2>&1 | tail -1 >&2
done
BIN="$BENCH_BIN"

rm -rf "$OUT" && mkdir -p "$OUT/data/model" "$OUT/data/tokens"
ln -s "$MODEL/config.json" "$MODEL/model.safetensors" "$OUT/data/model/"
"$BIN/train-bench" tokens --lengths "$LENGTHS" --config pipeline.yaml --out "$OUT/data/tokens" >&2
cat > "$OUT/bench.yaml" <<YAML
base: $ROOT/pipeline.yaml
paths: {data: $OUT/data, metrics: $OUT/metrics, reports: $OUT/reports}
train: {max_steps: $STEPS, eval_limit: 8}
YAML

ROOT_FLAG=()
[[ "$EUID" == 0 ]] && ROOT_FLAG=(--allow-run-as-root)
# ranks threads: one configuration's steps/s and communication seconds per step.
measure() {
    local ranks="$1" threads="$2" launcher=()
    rm -rf "$OUT/data/store" "$OUT/data/adapter"
    [[ "$ranks" -gt 1 ]] && launcher=(mpirun "${ROOT_FLAG[@]}" -np "$ranks" --bind-to core)
    echo "== $ranks rank(s) x $threads thread(s): $STEPS steps" >&2
    "${launcher[@]}" "$BIN/train-lora" --config "$OUT/bench.yaml" --set runtime.threads="$threads" --quiet
    python3 - "$OUT/data/adapter/log.jsonl" "$ranks" "$threads" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
elapsed = [r["elapsed_s"] for r in rows]
steps = [b - a for a, b in zip(elapsed, elapsed[1:])]          # step 1 (warm-up) left out
comm = [r.get("communication_s", 0.0) for r in rows[1:]]
wait = [r.get("waiting_s", 0.0) for r in rows[1:]]
mean = sum(steps) / len(steps)
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{len(steps)}\t{mean:.3f}\t{1 / mean:.4f}\t{sum(wait) / len(wait):.4f}\t{sum(comm) / len(comm):.4f}")
PY
}
{
    measure 1 1
    measure 1 2
    measure 2 1
} > "$OUT/results.tsv"
python3 - "$OUT/results.tsv" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
base = float(rows[0][3])
print("ranks  threads/rank  steps  s/step  steps/s  waiting s/step  communication s/step  speed-up vs 1x1")
for ranks, threads, n, mean, rate, wait, comm in rows:
    print(f"{ranks:>5}  {threads:>12}  {n:>5}  {float(mean):6.3f}  {float(rate):7.4f}  {float(wait):14.4f}  {float(comm):20.4f}"
          f"  {base / float(mean):15.2f}")
PY
# On paper: W machines from the measured one-process step (2 threads) and the gradient size.
"$PY" scripts/bench/mpi_projection.py --lengths "$LENGTHS" --step-seconds "$(awk -F'\t' '$1 == 1 && $2 == 2 {print $4}' "$OUT/results.tsv")" \
  --subset-every "$(grep -m1 'subset_every:' pipeline.yaml | awk '{print $2}')"
