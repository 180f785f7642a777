#!/usr/bin/env bash
# The demo trained and evaluated in bf16 (pipeline.demo.yaml, as the reference settings) and in fp32, compared:
# each mode's ROUGE (the LoRA score and the paired base-to-LoRA gain) must lie inside the other mode's 95% CI.
# The fp32 run uses its own config in OUT (base: pipeline.demo.yaml, weights_dtype f32, absolute paths) and folders
# under OUT, so the
# repository's data/demo, metrics/demo and pipeline.demo.lock are left as they are (the bf16 run is `make demo`'s).
# Usage: scripts/check/demo_bf16_vs_f32.sh      (env: OUT, default /tmp/demo-f32)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-/tmp/demo-f32}"
mkdir -p "$OUT"
cat > "$OUT/demo-f32.yaml" <<YAML
base: $PWD/pipeline.demo.yaml
paths:
  data: $OUT/data
  metrics: $OUT/metrics
  reports: $OUT/reports
samsum:
  archive: $PWD/demo/corpus.7z
model:
  local_dir: $PWD/demo/model
train:
  weights_dtype: f32
generation:
  weights_dtype: f32
YAML
make --no-print-directory demo QUIET=1 >/dev/null
make --no-print-directory score-rouge CONFIG="$OUT/demo-f32.yaml" QUIET=1 >/dev/null
python3 - metrics/demo/rouge.json "$OUT/metrics/rouge.json" <<'PY'
import json, sys
bf16, f32 = (json.load(open(p)) for p in sys.argv[1:])
def scores(m):
    out = {}
    for k, v in m["comparisons"][0]["rouge"].items():
        out[("gain", k)] = (v["delta"], v["low"], v["high"])
    for k, v in m["systems"]["lora"]["rouge"].items():
        out[("lora", k)] = (v["fmeasure"]["mean"], v["fmeasure"]["low"], v["fmeasure"]["high"])
    return out
a, b = scores(bf16), scores(f32)
ok = True
print(f"{'measure':18s} {'bf16':>26s} {'fp32':>26s}  each inside the other's CI")
for key in sorted(a):
    (x, xl, xh), (y, yl, yh) = a[key], b[key]
    inside = yl <= x <= yh and xl <= y <= xh
    ok &= inside
    print(f"{key[0] + ' ' + key[1]:18s} {x:.4f} [{xl:.4f}, {xh:.4f}] {y:.4f} [{yl:.4f}, {yh:.4f}]  {'yes' if inside else 'NO'}")
print("verdict:", "bf16 and fp32 agree within their confidence intervals" if ok else "bf16 and fp32 DISAGREE")
sys.exit(0 if ok else 1)
PY
