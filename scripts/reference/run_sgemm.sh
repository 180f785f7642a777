#!/usr/bin/env bash
# Builds sgemm_peak.c against the system OpenBLAS (Debian: apt-get install libopenblas-dev) and runs it:
#   run A  with the environment as it is (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE if set),
#   run B  with both unset,
#   run C  with OPENBLAS_CORETYPE=SkylakeX (AVX-512 kernels), only where run B's core is not SkylakeX.
# Each run times 1 and 2 OpenBLAS threads (the C file's header says what and how). The report goes to
# stdout and to $OUT_DIR/sgemm_peak.txt (default: the current directory); the binary beside it.
# Usage: scripts/reference/run_sgemm.sh [--quick]      (--help: this text)
set -euo pipefail
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT_DIR:-$PWD}"
mkdir -p "$OUT"
BIN="$OUT/sgemm_peak"
CFLAGS_BLAS="$(pkg-config --cflags openblas 2>/dev/null || echo "-I/usr/include/$(uname -m)-linux-gnu/openblas-pthread")"
gcc -O2 $CFLAGS_BLAS -o "$BIN" "$HERE/sgemm_peak.c" -lopenblas -ldl
ARG="${1:-}"
{
  echo "== $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo)"
  echo "== libopenblas: $(dpkg-query -W -f='${Package} ${Version}\n' 'libopenblas0*' 2>/dev/null | tr '\n' ';')"
  echo "== alternatives: $(readlink -f "/usr/lib/$(uname -m)-linux-gnu/libopenblas.so.0")"
  echo "== env: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
  echo "== run A: environment as set"
  "$BIN" $ARG
  echo "== run B: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BIN" $ARG
  CORE="$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BIN" --corename-only 2>/dev/null \
          | sed -n 's/^openblas_get_corename: //p' | head -1 || true)"
  if [[ "${CORE,,}" != skylakex ]]; then
    echo "== run C: OPENBLAS_CORETYPE=SkylakeX (auto-detected core: ${CORE:-?})"
    env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX "$BIN" $ARG
  fi
} 2>&1 | tee "$OUT/sgemm_peak.txt"
