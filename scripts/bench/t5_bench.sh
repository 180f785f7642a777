#!/usr/bin/env bash
# T5 engine vs PyTorch/transformers on the same full-size random flan-t5-base model, same inputs
# (bench_torch.py's: 8 sources of 256 random ids, seed 42), same thread count. Prints a table of
# greedy tokens/s (64 new tokens, batch 1 and 8), encoder forward time, peak RSS, and the ratios.
# Usage: scripts/bench/t5_bench.sh            (env: PY, MODEL, THREADS, OUT)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
MODEL=${MODEL:-/tmp/t5bench-base}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/t5bench-out}
mkdir -p "$OUT"

if [ ! -f "$MODEL/model.safetensors" ]; then
    "$PY" "$REF/make_t5.py" --size base --seed 0 --out "$MODEL"
fi
"$PY" - "$OUT/sources.json" <<'PYEOF'
import json, sys, torch
g = torch.Generator().manual_seed(42)          # bench_torch.py's inputs
src = torch.randint(3, 32000, (8, 256), generator=g)
src[:, -1] = 1
json.dump(src.tolist(), open(sys.argv[1], "w"))
PYEOF

bench_build --product t5-bench 2>&1 | tail -1
BENCH=$BENCH_BIN/t5-bench

"$PY" "$REF/bench_torch.py" --model "$MODEL" --threads "$THREADS" --skip train --json "$OUT/torch.json" > "$OUT/torch.log"
"$BENCH" --model "$MODEL" --sources "$OUT/sources.json" --threads "$THREADS" --precision f32 > "$OUT/swift_f32.json"
"$BENCH" --model "$MODEL" --sources "$OUT/sources.json" --threads "$THREADS" --precision bf16 > "$OUT/swift_bf16.json"
"$BENCH" --model "$MODEL" --sources "$OUT/sources.json" --threads "$THREADS" --precision f32 --parts gen --batches 8 > "$OUT/swift_f32_b8_rss.json"

"$PY" - "$OUT" <<'PYEOF'
import json, os, sys
out = sys.argv[1]
torch_r = json.load(open(os.path.join(out, "torch.json")))
f32 = json.load(open(os.path.join(out, "swift_f32.json")))
bf16 = json.load(open(os.path.join(out, "swift_bf16.json")))
rss = json.load(open(os.path.join(out, "swift_f32_b8_rss.json")))
rows = []
for b in (1, 8):
    k = f"greedy_generate_b{b}"
    t = torch_r[k]["tokens_per_s"]
    rows.append((f"greedy 64 tok/s b={b}", f"{t:.1f}", f"{f32[k]['tokens_per_s']:.1f}", f"{bf16[k]['tokens_per_s']:.1f}",
                 f"{f32[k]['tokens_per_s']/t:.2f}x", f"{bf16[k]['tokens_per_s']/t:.2f}x"))
for b in (1, 8):
    k = f"encoder_forward_b{b}"
    t = torch_r[k]["median_s"]
    rows.append((f"encoder s b={b} S=256", f"{t:.3f}", f"{f32[k]['median_s']:.3f}", f"{bf16[k]['median_s']:.3f}",
                 f"{t/f32[k]['median_s']:.2f}x", f"{t/bf16[k]['median_s']:.2f}x"))
rows.append(("peak RSS MiB (whole run)", f"{torch_r['peak_rss_mib']:.0f}", f"{f32['peak_rss_mib']:.0f}",
             f"{bf16['peak_rss_mib']:.0f}", "", ""))
rows.append(("peak RSS MiB, f32 greedy b=8 only", "", f"{rss['peak_rss_mib']:.0f}", "", "", ""))
head = ("measure", "torch", "swift f32", "swift bf16", "f32 ratio", "bf16 ratio")
w = [max(len(r[i]) for r in rows + [head]) for i in range(6)]
for r in [head] + rows:
    print("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)))
print(f"threads={torch_r['meta']['threads']}; ratios > 1 mean the Swift engine is faster; load average {os.getloadavg()[0]:.1f}")
PYEOF
