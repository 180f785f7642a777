#!/usr/bin/env bash
# The reference run's LoRA training on SAMSum's real shapes: train-lora's engine (unpadded) against PyTorch + PEFT
# (padded to each batch's longest, as Hugging Face does), alternating rounds on one random flan-t5-base-size model.
# `train-bench plan` draws the batches from scripts/bench/samsum_lengths.tsv exactly as train-lora would
# (tokenize's subset, pipeline.yaml's seed, batch size and epochs), random token ids at the real lengths;
# train_bench_samsum.py runs them and prints the per-step ratio, the median of the paired ratios and the projected
# wall time of the whole run (all steps + every validation pass) for both.
# Once per mode of MODES, the same plan: Swift --weights-dtype X against PyTorch --dtype X (bf16: the seed's
# from_pretrained(torch_dtype=torch.bfloat16) with PEFT's fp32 LoRA weights), each into $OUT/result-X.json; then a
# summary table of the modes, the CPU's model name and its bf16 instructions (avx512_bf16, amx_bf16).
# Usage: scripts/bench/train_bench_samsum.sh [MODEL_DIR]   (default /tmp/t5base, made by make_t5.py if absent)
# Env: THREADS (2), STEPS (20), MODES ("f32 bf16"; nf4 is QLoRA: bitsandbytes' 4-bit base against the nf4 mode), GROUPED=1 (train.group_by_length true), LENGTHS (scripts/bench/samsum_lengths.tsv),
#      METHOD (lora; ia3, loha or lokr: PEFT's IA3Config, LoHaConfig or LoKrConfig from pipeline.yaml's section of
#      that name against train.mode METHOD), OUT (/tmp/train_bench_samsum, or /tmp/train_bench_samsum-METHOD).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL="${1:-/tmp/t5base}"
THREADS="${THREADS:-2}"
METHOD="${METHOD:-lora}"
[[ "$METHOD" =~ ^(lora|ia3|loha|lokr)$ ]] || { echo "train_bench_samsum: METHOD: '$METHOD' is not lora, ia3, loha or lokr" >&2; exit 1; }
if [[ "$METHOD" == lora ]]; then OUT="${OUT:-/tmp/train_bench_samsum}"; else OUT="${OUT:-/tmp/train_bench_samsum-$METHOD}"; fi
MODES="${MODES:-f32 bf16}"
for mode in $MODES; do
    [[ "$mode" == f32 || "$mode" == bf16 || "$mode" == nf4 ]] || { echo "train_bench_samsum: MODES: '$mode' is not f32, bf16 or nf4" >&2; exit 1; }
done
samsum_lengths train_bench_samsum
mkdir -p "$OUT"
rm -f "$OUT/plan.json" "$OUT/result.json" "$OUT"/result-*.json

make_base_model "$MODEL"
echo "== building train-bench (release)" >&2
bench_build --product train-bench 2>&1 | tail -1 >&2
BENCH="$BENCH_BIN/train-bench"
"$BENCH" plan --lengths "$LENGTHS" --model "$MODEL" --config pipeline.yaml --steps "${STEPS:-20}" ${GROUPED:+--group-by-length} \
  --out "$OUT/plan.json"
for mode in $MODES; do
    echo "== method $METHOD, mode $mode: Swift --weights-dtype $mode, PyTorch --dtype $mode" >&2
    "$PY" scripts/bench/train_bench_samsum.py --model "$MODEL" --plan "$OUT/plan.json" --swift-bench "$BENCH" \
      --config pipeline.yaml --threads "$THREADS" --dtype "$mode" --method "$METHOD" --json "$OUT/result-$mode.json"
done

echo
echo "== summary, method $METHOD ($OUT/result-<mode>.json; ratio > 1: Swift faster)"
"$PY" - "$OUT" $MODES <<'PY'
import json, os, sys
out, modes = sys.argv[1], sys.argv[2:]
print(f"{'mode':5s} {'Swift step s':>12s} {'PyTorch step s':>14s} {'median ratio':>12s} "
      f"{'val pass s Swift/PyTorch':>24s} {'projected h Swift/PyTorch':>25s}")
for mode in modes:
    r = json.load(open(os.path.join(out, f"result-{mode}.json")))
    passes = f"{r['validation_passes']} x {r['validation_swift_s']:.1f}/{r['validation_torch_s']:.1f}"
    hours = f"{r['projected_swift_s'] / 3600:.2f}/{r['projected_torch_s'] / 3600:.2f}"
    print(f"{mode:5s} {r['mean_step_swift_s']:12.2f} {r['mean_step_torch_s']:14.2f} {r['median_paired_ratio']:11.2f}x "
          f"{passes:>24s} {hours:>25s}")
print(f"({r['total_steps']} steps + {r['validation_passes']} validation passes projected; mean of the {len(r['rows'])} "
      f"planned steps, threads {r['threads']})")
results = {m: json.load(open(os.path.join(out, f"result-{m}.json"))) for m in modes}
if "nf4" in results and "bf16" in results:
    # QLoRA's cost over the bf16 mode on the same batches: the median of the per-step ratios
    import statistics
    nf4, bf16 = results["nf4"]["rows"], results["bf16"]["rows"]
    ratios = [a["swift_s"] / b["swift_s"] for a, b in zip(nf4, bf16)]
    print(f"Swift nf4 / bf16 step: median {statistics.median(ratios):.2f}x over {len(ratios)} steps "
          f"(mean {results['nf4']['mean_step_swift_s']:.2f} / {results['bf16']['mean_step_swift_s']:.2f} s)")
for m, r in results.items():
    if "swift_base_weight_bytes" in r:
        print(f"{m}: Swift base weights {r['swift_base_weight_bytes'] / 2**20:.0f} MiB, resident after load "
              f"{r['swift_rss_after_load_mib']:.0f} MiB, peak {r['peak_rss_swift_mib']:.0f} MiB; "
              f"PyTorch peak {r['peak_rss_torch_mib']:.0f} MiB")
PY
echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1); bf16 instructions:" \
  "$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512_bf16|amx_bf16' | tr '\n' ' ' | sed 's/ $//' | grep . || echo none)"
