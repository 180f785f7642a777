# Sourced by the benchmark scripts: ROOT (the repository, also the working directory), PY (the
# reference venv's python: bash scripts/reference/setup.sh makes it) and REF (scripts/reference, where
# bench_torch.py, make_t5.py and run_sgemm.sh live).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PY:-${REFERENCE_VENV:-$HOME/.cache/reference-venv}/bin/python}"
REF="$ROOT/scripts/reference"

# samsum_lengths NAME: LENGTHS (default scripts/bench/samsum_lengths.tsv, shipped: every SAMSum record's token
# lengths, no text), or NAME's one error line and exit.
samsum_lengths() {
    LENGTHS="${LENGTHS:-$ROOT/scripts/bench/samsum_lengths.tsv}"
    [[ -f "$LENGTHS" ]] || { echo "$1: no lengths.tsv (set LENGTHS)" >&2; exit 1; }
}

# make_base_model DIR: a random flan-t5-base-size model (make_t5.py) in DIR, unless one is there already.
make_base_model() { [[ -f "$1/model.safetensors" ]] || "$PY" "$REF/make_t5.py" --size base --out "$1"; }
