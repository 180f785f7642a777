#!/usr/bin/env bash
# ROUGE speed: score 819 x 2 predictions (base and LoRA against 819 references, all four
# ROUGE types, 1000-resample bootstrap, seed 0 as the reference's) with this project's scorer (release build of
# `score-rouge compare`, whole process: start, read, score, bootstrap incl. paired, write)
# and with rouge_score 0.1.2 in one run, and print both times and the ratio.
# The reference is timed in-process after its imports, so the ratio is conservative.
# Both wall-clock and CPU time (user+sys) are shown: on a shared machine CPU time is the
# steadier measure. Both sides are single-threaded. Runs from any folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
REPEATS=${REPEATS:-5}
bench_build --product score-rouge 2>&1 | tail -1
BIN=$BENCH_BIN/score-rouge
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
"$PY" scripts/bench/rouge_bench_data.py "$DATA" --n 819 --seed 7

min() { sort -g | head -1; }
swift_wall=(); swift_cpu=()
for _ in $(seq "$REPEATS"); do
    /usr/bin/time -f "%e %U %S" -o "$DATA/time.txt" \
        "$BIN" compare --base "$DATA/base.jsonl" --lora "$DATA/lora.jsonl" --references "$DATA/references.jsonl" \
        --output "$DATA/metrics" --seed 0 --format table --quiet > "$DATA/swift_table.txt"
    read -r wall user sys < "$DATA/time.txt"
    swift_wall+=("$wall")
    swift_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.3f", u+s}')")
done
py_wall=(); py_cpu=()
for _ in $(seq "$REPEATS"); do
    "$PY" scripts/bench/rouge_bench_reference.py "$DATA" > "$DATA/py_out.txt"
    py_wall+=("$(sed -n 's/.*reference_seconds=\([0-9.]*\).*/\1/p' "$DATA/py_out.txt")")
    py_cpu+=("$(sed -n 's/.*reference_cpu_seconds=\([0-9.]*\).*/\1/p' "$DATA/py_out.txt")")
done
cat "$DATA/swift_table.txt"
echo
grep -v reference_seconds "$DATA/py_out.txt" | sed 's/^/rouge_score bootstrap mid F1: /'
sw=$(printf '%s\n' "${swift_wall[@]}" | min); sc=$(printf '%s\n' "${swift_cpu[@]}" | min)
pw=$(printf '%s\n' "${py_wall[@]}" | min); pc=$(printf '%s\n' "${py_cpu[@]}" | min)
echo
echo "examples: 819 x 2 systems, 4 ROUGE types, bootstrap 1000 resamples; best of $REPEATS runs each"
printf '%-48s wall %7.3f s   cpu %7.3f s\n' "score-rouge (Swift, release, whole process):" "$sw" "$sc"
printf '%-48s wall %7.3f s   cpu %7.3f s\n' "rouge_score 0.1.2 (Python, in-process):" "$pw" "$pc"
awk -v pw="$pw" -v sw="$sw" -v pc="$pc" -v sc="$sc" \
    'BEGIN{printf "speed-up: %.1fx wall, %.1fx cpu\n", pw/sw, (sc > 0 ? pc/sc : 0)}'
