#!/usr/bin/env bash
# QLoRA's point is memory: the frozen base's bytes, the resident size after loading, and the peak resident size of a
# training step (real SAMSum shapes, the reference run's first planned batches) and of greedy generation (batch 8,
# sources of 256 ids, 64 new tokens), for random flan-t5-base and flan-t5-large (make_t5.py: the real architectures)
# in fp32, bf16 and nf4. Each number comes from its own process (train-bench serve: one warm-up step and two timed
# ones; t5-bench --parts gen). No PyTorch side: the memory of the engines here is what is measured.
# Usage: scripts/bench/qlora_memory.sh        Env: SIZES ("base large"), DTYPES ("f32 bf16 nf4"), THREADS (2),
#        MODELS_DIR (/tmp: /tmp/t5base and /tmp/t5large are made if absent), OUT (/tmp/qlora_memory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
THREADS="${THREADS:-2}"
OUT="${OUT:-/tmp/qlora_memory}"
MODELS_DIR="${MODELS_DIR:-/tmp}"
samsum_lengths qlora_memory
mkdir -p "$OUT"
echo "== building train-bench and t5-bench (release)" >&2
bench_build --product train-bench 2>&1 | tail -1 >&2
bench_build --product t5-bench 2>&1 | tail -1 >&2
for size in ${SIZES:-base large}; do
    model="$MODELS_DIR/t5$size"
    [[ -f "$model/model.safetensors" ]] || "$PY" "$REF/make_t5.py" --size "$size" --out "$model"
    "$BENCH_BIN/train-bench" plan --lengths "$LENGTHS" --model "$model" --config pipeline.yaml --steps 3 \
        --out "$OUT/plan-$size.json" >/dev/null
done
"$PY" scripts/bench/qlora_memory.py --models-dir "$MODELS_DIR" --sizes "${SIZES:-base large}" --dtypes "${DTYPES:-f32 bf16 nf4}" \
    --train-bench "$BENCH_BIN/train-bench" --t5-bench "$BENCH_BIN/t5-bench" --plans "$OUT" --threads "$THREADS" \
    --json "$OUT/memory.json"
echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
