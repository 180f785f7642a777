# Sourced by the benchmark scripts (and run as `bash scripts/bench/reference_env.sh check` by `make bench`):
#   ROOT   the repository, also the working directory;
#   PY     the reference venv's python ($REFERENCE_VENV, default ~/.cache/reference-venv, as in
#          scripts/reference/setup.sh, which `make reference-venv` runs; PY=... overrides it). Sourcing this file
#          checks it first: when it is missing, one line says how to make it and the script exits 1, before any build;
#   REF    scripts/reference (bench_torch.py, make_t5.py, run_sgemm.sh);
#   BENCH_SCRATCH, BENCH_BIN, bench_build: every benchmark build goes to its own scratch path, .build-bench/
#          (gitignored), never to .build/, so `make` and `make demo` keep their .build/release. The benchmarks
#          are executables (no benchmark lives in a test target).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REFERENCE_VENV_DIR="${REFERENCE_VENV:-$HOME/.cache/reference-venv}"
PY="${PY:-$REFERENCE_VENV_DIR/bin/python}"
REF="$ROOT/scripts/reference"

# require_reference_venv: return when PY runs, else one line on stderr naming the fix, and exit 1.
require_reference_venv() {
    [[ -x "$PY" ]] && return 0
    local who
    who="$(basename "$0" .sh)"
    [[ "$who" == reference_env ]] && who=bench
    if [[ "$PY" != "$REFERENCE_VENV_DIR/bin/python" ]]; then
        echo "$who: PY=$PY is not an executable python (unset PY for the reference venv, which 'make reference-venv' makes)" >&2
    elif [[ -n "${REFERENCE_VENV:-}" ]]; then
        echo "$who: no reference venv at $REFERENCE_VENV (REFERENCE_VENV): run 'make reference-venv' to make it there, or set REFERENCE_VENV to where it is" >&2
    else
        echo "$who: no reference venv at $REFERENCE_VENV_DIR: run 'make reference-venv' to make it, or set REFERENCE_VENV to where it is" >&2
    fi
    exit 1
}
require_reference_venv

BENCH_SCRATCH="$ROOT/.build-bench"
BENCH_BIN="$BENCH_SCRATCH/release"
CPU_FLAGS=($(bash "$ROOT/scripts/swift_cpu_flags.sh"))   # the Makefile's code generation for this CPU

# bench_build [swift build options]: release products into BENCH_BIN (e.g. bench_build --product t5-bench).
bench_build() { swift build -c release --scratch-path "$BENCH_SCRATCH" "${CPU_FLAGS[@]}" "$@"; }

# samsum_lengths NAME: LENGTHS (default scripts/bench/samsum_lengths.tsv, shipped: every SAMSum record's token
# lengths, no text; README.md says how it is made), or NAME's one error line and exit.
samsum_lengths() {
    LENGTHS="${LENGTHS:-$ROOT/scripts/bench/samsum_lengths.tsv}"
    [[ -f "$LENGTHS" ]] || { echo "$1: no lengths file $LENGTHS (set LENGTHS, or see scripts/bench/README.md)" >&2; exit 1; }
}

# make_base_model DIR: a random flan-t5-base-size model (make_t5.py) in DIR, unless one is there already.
make_base_model() { [[ -f "$1/model.safetensors" ]] || "$PY" "$REF/make_t5.py" --size base --out "$1"; }

# Run as a script (`bash scripts/bench/reference_env.sh check`): the venv check above, nothing else.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    [[ "${1:-check}" == check ]] || { echo "usage: bash scripts/bench/reference_env.sh check" >&2; exit 64; }
    exit 0
fi
