#!/usr/bin/env bash
# `make bench`: every benchmark that runs this project and the reference implementation in
# one run, on the same CPU and thread count, and prints the ratio. Needs the reference venv
# (make reference-venv): without it this stops at once with one line saying so, before any build.
# Builds go to .build-bench/ (reference_env.sh), not .build/. Each script can also be run alone.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/reference_env.sh"
status=0
for b in spm_bench.sh rouge_bench.sh corpus_bench.sh lora_bench.sh t5_bench.sh t5_paired.sh memory_bandwidth.sh train_bench.sh train_bench_samsum.sh mpi_scaling.sh; do
    [ -f "scripts/bench/$b" ] || continue
    echo "=== $b"
    bash "scripts/bench/$b" || { echo "$b failed"; status=1; }
done
exit $status
