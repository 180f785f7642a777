#!/usr/bin/env bash
# Corpus benchmark: strict JSON parse + validation and JSONL writing of a synthetic
# SAMSum-train-sized split (14,732 records), Swift (release) vs Python's json module
# (the reference's reader) on the same file, same machine, one thread each.
# Usage: scripts/bench/corpus_bench.sh [records]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
RECORDS=${1:-14732}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

bench_build --product corpus-bench 2>&1 | tail -1
SWIFT_LINE=$("$BENCH_BIN/corpus-bench" "$RECORDS" --out "$OUT/train.json")
echo "$SWIFT_LINE"

"$PY" - "$OUT/train.json" "$SWIFT_LINE" <<'PYEOF'
import json, sys, time
path, swift_line = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
best_parse = best_write = float("inf")
for _ in range(3):
    t = time.perf_counter()
    records = json.loads(raw.decode("utf-8"))
    ok = [r for r in records if all(isinstance(r.get(k), str) for k in ("id", "dialogue", "summary"))]
    best_parse = min(best_parse, time.perf_counter() - t)
    t = time.perf_counter()
    out = "".join(json.dumps({"id": r["id"], "dialogue": r["dialogue"], "summary": r["summary"]},
                             ensure_ascii=False, separators=(",", ":")) + "\n" for r in ok).encode("utf-8")
    best_write = min(best_write, time.perf_counter() - t)
fields = dict(kv.split("=") for kv in swift_line.split()[2:])
sp, sw = float(fields["parse_s"]), float(fields["jsonl_s"])
print(f"corpus-bench python records={len(ok)} parse_s={best_parse:.4f} jsonl_s={best_write:.4f}")
print(f"ratio python/swift: parse {best_parse / sp:.2f}x, jsonl {best_write / sw:.2f}x "
      f"(>1 means Swift is faster)")
PYEOF
