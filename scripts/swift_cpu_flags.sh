#!/usr/bin/env bash
# Prints the swift build flags that target this machine's CPU: Haswell's instruction set (AVX2, FMA,
# BMI2; every x86 CPU with all three has it) when /proc/cpuinfo lists them, else nothing (the portable
# x86-64 baseline, whose SIMD8 code runs as pairs of SSE ops). Only code generation changes, so both
# builds compute the same bits (checked in docs/BENCHMARKS.md): Swift does not fuse a*b+c on its own,
# and the decoding kernels' explicit fused multiply-adds become libm fmaf calls in the baseline build
# (same result, decoding many times slower).
# Override with SWIFT_CPU=haswell|znver3|none.
set -euo pipefail
cpu="${SWIFT_CPU:-}"
if [[ -z "$cpu" ]]; then
    cpu=none
    if [[ "$(uname -m)" == x86_64 ]] && flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)"; then
        if grep -qw avx2 <<<"$flags" && grep -qw fma <<<"$flags" && grep -qw bmi2 <<<"$flags"; then cpu=haswell; fi
    fi
fi
[[ "$cpu" == none ]] || echo "-Xswiftc -target-cpu -Xswiftc $cpu"
