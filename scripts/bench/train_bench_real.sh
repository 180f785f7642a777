#!/usr/bin/env bash
# LoRA training steps (r 32 on q,v, LoRA dropout 0.05, T5 dropout 0.1, forward + backward + clip + AdamW) of a
# random flan-t5-base-size model on batches of real-length examples: this package (release build) against
# PyTorch + PEFT (torch_train_real.py, bench_torch.py's lora_train_step setup) on the same model files and
# the same batches. make_real_length_batches.py samples 8 batches of 8 (seed 42) from a SAMSum-form
# corpus and tokenizes them as the tokenize stage does (T5's spiece.model, pipeline.yaml's prompt and
# limits); every batch is right-padded to its own longest row. Each side: 1 warm-up step on batch 0,
# then one timed step per batch. The corpus is demo/corpus.7z unless CORPUS names the real one; the demo
# dialogues are about half of SAMSum's length (see make_real_length_batches.py), so the shapes are smaller
# than real SAMSum training batches.
# Usage: scripts/bench/train_bench_real.sh [MODEL_DIR]   (default /tmp/t5base, created by make_t5.py if absent)
# Env: THREADS (2), BATCHES (8), CORPUS (demo/corpus.7z), OUT (/tmp/train_bench_real).
# The machine is shared: run both sides back to back and read the ratio, not the absolute times, when loaded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL="${1:-/tmp/t5base}"
THREADS="${THREADS:-2}"
OUT="${OUT:-/tmp/train_bench_real}"
mkdir -p "$OUT"
rm -f "$OUT/batches.json" "$OUT/swift.json" "$OUT/torch.json"

make_base_model "$MODEL"

echo "== batches" >&2
"$PY" scripts/bench/make_real_length_batches.py --batches "${BATCHES:-8}" --out "$OUT/batches.json" \
  ${CORPUS:+--corpus "$CORPUS"} >&2
echo "== building (release, tests enabled)" >&2
swift build -c release $(bash scripts/swift_cpu_flags.sh) --build-tests -Xswiftc -enable-testing --build-path .build-release 2>&1 | tail -1 >&2
echo "== Swift steps" >&2
/usr/bin/time -v -o "$OUT/swift_time.txt" env T5TRAINING_BENCH_MODEL="$MODEL" T5TRAINING_BENCH_THREADS="$THREADS" \
  T5TRAINING_BENCH_BATCHES="$OUT/batches.json" T5TRAINING_BENCH_JSON="$OUT/swift.json" \
  swift test -c release --skip-build --build-path .build-release \
  --filter TrainingStepBenchmark/testLoRATrainingStepOnRealLengthBatches 2>&1 \
  | grep -E "T5TRAINING_BENCH|error|Executed|skipped" | tail -3 >&2 || true
[[ -f "$OUT/swift.json" ]] || { echo "the Swift benchmark wrote no $OUT/swift.json" >&2; exit 1; }
echo "== PyTorch steps" >&2
"$PY" scripts/bench/torch_train_real.py --model "$MODEL" --batches "$OUT/batches.json" --threads "$THREADS" \
  --json "$OUT/torch.json" >&2

"$PY" - "$OUT" "$THREADS" <<'PYEOF'
import json, re, sys
out, threads = sys.argv[1], int(sys.argv[2])
bj = json.load(open(f"{out}/batches.json"))
sw = json.load(open(f"{out}/swift.json"))
tr = json.load(open(f"{out}/torch.json"))
assert [list(s) for s in sw["shapes"]] == [list(s) for s in tr["shapes"]], (sw["shapes"], tr["shapes"])
n = len(sw["shapes"])
print(f"{n} batches of {sw['shapes'][0][0]} from {bj['meta']['corpus']} (seed {bj['meta']['seed']}), threads {threads}")
print(f"lengths incl. prompt and </s>: source mean {bj['source_lengths_mean']:.1f} "
      f"({bj['source_lengths_min']}-{bj['source_lengths_max']}), target mean {bj['target_lengths_mean']:.1f} "
      f"({bj['target_lengths_min']}-{bj['target_lengths_max']})")
print(f"mean padded shape: B {sw['shapes'][0][0]} x source {bj['padded_source_mean']:.1f} x target {bj['padded_target_mean']:.1f} "
      f"(padding: {100 * (1 - sw['tokens_source'] / sw['tokens_source_padded']):.0f}% of source, "
      f"{100 * (1 - sw['tokens_target'] / sw['tokens_target_padded']):.0f}% of target positions)")
print()
print(f"{'batch (B x S x T)':20s} {'GFLOP':>7s} {'Swift s':>9s} {'PyTorch s':>10s} {'ratio':>6s}")
for (b, s, t), g, a, p in zip(sw["shapes"], sw["gflop_per_batch"], sw["all_s"], tr["all_s"]):
    print(f"{f'{b} x {s} x {t}':20s} {g:7.1f} {a:9.3f} {p:10.3f} {p / a:6.2f}")
print()
print(f"{'':28s} {'Swift':>10s} {'PyTorch':>10s}")
print(f"{'step time (median, s)':28s} {sw['median_s']:10.3f} {tr['median_s']:10.3f}")
print(f"{'all timed steps (s)':28s} {sw['total_s']:10.2f} {tr['total_s']:10.2f}")
print(f"{'examples/s':28s} {sw['examples_per_s']:10.3f} {tr['examples_per_s']:10.3f}")
print(f"{'tokens/s (non-pad src+tgt)':28s} {sw['tokens_per_s']:10.1f} {tr['tokens_per_s']:10.1f}")
print(f"{'GFLOP/s (padded shapes)':28s} {sw['gflop_total'] / sw['total_s']:10.1f} {sw['gflop_total'] / tr['total_s']:10.1f}")
print(f"speed ratio Swift/PyTorch: median step {tr['median_s'] / sw['median_s']:.2f}x, "
      f"examples/s {sw['examples_per_s'] / tr['examples_per_s']:.2f}x   (>1: Swift faster)")
try:
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{out}/swift_time.txt").read())
    rss_gib = int(rss.group(1)) / 2**20 if rss else float("nan")
except FileNotFoundError:
    rss_gib = float("nan")
print(f"peak RSS: Swift {rss_gib:.2f} GiB (whole test process), PyTorch {tr['peak_rss_mib'] / 1024:.2f} GiB")
print(f"losses: Swift {[round(x, 3) for x in sw['losses']]}")
print(f"        PyTorch {[round(x, 3) for x in tr['losses']]}")
PYEOF
