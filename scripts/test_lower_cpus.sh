#!/usr/bin/env bash
# `make test`'s second part: the tests whose results go through the product libraries (kernels, parity with the
# reference fixtures, the trainer, the training stages), run again as each kind of CPU below this one runs them,
# so that one machine keeps every product path tested. The machines this project meets are AVX2-only EPYCs, AVX-512
# Xeons without bf16 instructions, Zen 4 EPYCs (AVX512_BF16) and Xeons with AMX. What differs between them is only
# which kernels oneDNN and OpenBLAS pick (the Swift code is built for Haswell on all of them: swift_cpu_flags.sh),
# so a pass holds oneDNN below an instruction set (ONEDNN_MAX_CPU_ISA) and gives OpenBLAS that CPU's kernels
# (OPENBLAS_CORETYPE); the tests of which implementation runs read the same ceiling (Tests/TestSupport/CPUFlags).
# Needs the tests built (`swift build --build-tests`, as `make test` does first).
set -euo pipefail
cd "$(dirname "$0")/.."
FILTER='^(KernelsTests|T5Tests|T5TrainingTests|TrainingTests|PEFTTests)\.|^StagesTests\.(TrainingSelection|TrainLoRAStage|BF16Stage|NF4Stage|PEFTMethodStage)Tests'

flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
has() { grep -qw "$1" <<<"$flags"; }
avx512=false
has avx512f && has avx512bw && has avx512vl && has avx512dq && avx512=true

# ceiling, OpenBLAS core, the CPU it stands for
passes=()
if has amx_bf16 && has avx512_bf16; then passes+=("AVX512_CORE_BF16 Cooperlake AVX512_BF16 without AMX (a Zen 4)"); fi
if $avx512 && { has avx512_bf16 || has amx_bf16; }; then passes+=("AVX512_CORE SkylakeX AVX-512 without bf16 instructions"); fi
if $avx512; then passes+=("AVX2 Haswell AVX2 without AVX-512"); fi

for pass in "${passes[@]}"; do
    read -r ceiling core cpu <<<"$pass"
    echo "test: the product paths again as a CPU with $cpu (ONEDNN_MAX_CPU_ISA=$ceiling OPENBLAS_CORETYPE=$core)"
    ONEDNN_MAX_CPU_ISA="$ceiling" OPENBLAS_CORETYPE="$core" \
        swift test --skip-build --disable-swift-testing --filter "$FILTER"
done
