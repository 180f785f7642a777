#!/usr/bin/env bash
# One LoRA training step (r 32 on q,v, LoRA dropout 0.05, T5 dropout 0.1, batch 8, source 256, target 64,
# forward + backward + clip + AdamW) of a random flan-t5-base-size model: this package (release build)
# against PyTorch + PEFT (bench_torch.py) on the same model files, then the achieved GFLOP/s against
# the machine's cblas_sgemm peak (run_sgemm.sh). Both sides use the same thread count (default 2).
# Usage: scripts/bench/train_bench.sh [MODEL_DIR]   (default /tmp/t5base, created by make_t5.py if absent)
# Env: THREADS (2), STEPS (Swift timed steps, 3), TORCH_ARGS (e.g. "--warmup 1 --steps 3"), OUT (/tmp/train_bench).
# The machine is shared: run both sides back to back and read the ratio, not the absolute times, when loaded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL="${1:-/tmp/t5base}"
THREADS="${THREADS:-2}"
OUT="${OUT:-/tmp/train_bench}"
mkdir -p "$OUT"

make_base_model "$MODEL"

echo "== building train-bench (release)" >&2
bench_build --product train-bench 2>&1 | tail -1 >&2
echo "== Swift step" >&2
"$BENCH_BIN/train-bench" padded --model "$MODEL" --threads "$THREADS" --steps "${STEPS:-3}" --json "$OUT/swift.json" >&2
echo "== PyTorch step" >&2
"$PY" "$REF/bench_torch.py" --model "$MODEL" --skip gen,enc --threads "$THREADS" --json "$OUT/torch.json" ${TORCH_ARGS:-} >&2
echo "== sgemm peak" >&2
OUT_DIR="$OUT" bash "$REF/run_sgemm.sh" > /dev/null 2>&1 || true

"$PY" - "$OUT" "$THREADS" <<'PYEOF'
import json, re, sys
out, threads = sys.argv[1], int(sys.argv[2])
sw = json.load(open(f"{out}/swift.json"))
tj = json.load(open(f"{out}/torch.json"))
tr = tj["lora_train_step"]
# the machine's sgemm rate in the same window: best and T5-shaped (median of the "t5" rows' medians) at THREADS
peak, t5_rates = 0.0, []
try:
    for line in open(f"{out}/sgemm_peak.txt"):
        if line.startswith("== run B"):
            break  # run A: the environment as the Swift step saw it
        m = re.search(r"threads=(\d+)\s+best\s+([\d.]+) GFLOP/s\s+median\s+([\d.]+)", line)
        if m and int(m.group(1)) == threads:
            peak = max(peak, float(m.group(2)))
            if " t5 " in line:
                t5_rates.append(float(m.group(3)))
except FileNotFoundError:
    pass
t5_rate = sorted(t5_rates)[len(t5_rates) // 2] if t5_rates else 0.0
rss_gib = sw["peak_rss_mib"] / 1024
ratio = tr["median_s"] / sw["median_s"]
print(f"{'':28s} {'Swift':>10s} {'PyTorch':>10s}")
print(f"{'step time (median, s)':28s} {sw['median_s']:10.2f} {tr['median_s']:10.2f}")
print(f"{'examples/s':28s} {sw['samples_per_s']:10.3f} {tr['samples_per_s']:10.3f}")
print(f"speed ratio Swift/PyTorch: {ratio:.2f}x   (threads {threads})")
g = sw["gflop_per_step"]
print(f"GFLOP per step (fwd {sw['gflop_forward']:.0f} + input-grad bwd {sw['gflop_backward_input']:.0f} "
      f"+ LoRA/weight bwd {sw['gflop_backward_parameters']:.1f}) = {g:.0f}")
print(f"achieved GFLOP/s: Swift {g / sw['median_s']:.1f}, PyTorch {g / tr['median_s']:.1f}; "
      f"sgemm ({threads} threads, same window) best {peak:.1f}, T5-shaped median {t5_rate:.1f}"
      + (f" -> Swift at {100 * g / sw['median_s'] / t5_rate:.0f}% of the T5-shaped rate" if t5_rate else ""))
print(f"peak RSS: Swift {rss_gib:.2f} GiB (train-bench process), PyTorch {tj['peak_rss_mib'] / 1024:.2f} GiB")
print(f"losses: Swift {sw['losses']}, PyTorch {tr.get('losses')}")
PYEOF
