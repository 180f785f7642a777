#!/usr/bin/env bash
# `make bench`: every benchmark that runs this project and the reference implementation in
# one run, on the same CPU and thread count, and prints the ratio. Needs the reference venv
# (bash scripts/reference/setup.sh, or make reference-venv). Each script can also be run alone.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
for b in spm_bench.sh rouge_bench.sh corpus_bench.sh lora_bench.sh t5_bench.sh t5_paired.sh memory_bandwidth.sh train_bench.sh train_bench_samsum.sh mpi_scaling.sh; do
    [ -f "scripts/bench/$b" ] || continue
    echo "=== $b"
    bash "scripts/bench/$b" || { echo "$b failed"; status=1; }
done
exit $status
