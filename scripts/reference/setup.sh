#!/usr/bin/env bash
# The reference venv, in one idempotent command (also `make reference-venv`):
#
#   bash scripts/reference/setup.sh
#
# Where: $REFERENCE_VENV, default $HOME/.cache/reference-venv (outside the repository, so that a clean
# clone or `git clean` never loses it; every script that needs it looks there too).
# What: Python 3.11 (PYTHON=..., default python3) with scripts/reference/requirements.txt, pinned to the
# versions the golden fixtures were made with, and torch 2.13.0, taken from the first of
#   - TORCH_SPEC, if set (a wheel path or a requirement, e.g. TORCH_SPEC="torch==2.13.0+cpu");
#   - the CPU-only wheel in /opt/wheels (torch-2.13.0+cpu-cp311-*.whl), when this machine has it;
#   - TORCH_INDEX_URL, if set: torch==2.13.0+cpu from that index (PyTorch's CPU wheel index);
#   - the default index: torch==2.13.0 (the CUDA build: the same CPU kernels, but GBs of CUDA libraries).
# A venv whose packages already match every pin is left as it is, without a network access; otherwise
# pip installs what is missing or different. VERSIONS.txt in the venv records what it holds.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${REFERENCE_VENV:-$HOME/.cache/reference-venv}"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$HERE/requirements.txt"
TORCH_VERSION=2.13.0
PIP_PINS=(pip==26.3 setuptools==84.2.1 wheel==0.48.0)

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

if [[ ! -x "$VENV/bin/python" ]]; then
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [[ "$version" == 3.11 ]] || echo "[setup] warning: $PYTHON is Python $version; the pins and fixtures are for 3.11" >&2
    echo "[setup] creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"

# Exit 0 when every pin of requirements.txt and torch's version are installed (no network needed).
matches_pins() {
    "$VPY" - "$REQUIREMENTS" "$TORCH_VERSION" <<'EOF'
import importlib.metadata as md, re, sys
def norm(name): return re.sub(r"[-_.]+", "-", name).lower()
installed = {norm(d.metadata["Name"]): d.version for d in md.distributions()}
wrong = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        if installed.get(norm(name)) != version:
            wrong.append(f"{name} {installed.get(norm(name), 'missing')} (want {version})")
torch = installed.get("torch", "missing")
if torch.split("+")[0] != sys.argv[2]:
    wrong.append(f"torch {torch} (want {sys.argv[2]})")
if wrong:
    print("[setup] to install: " + ", ".join(wrong[:8]) + (" ..." if len(wrong) > 8 else ""), file=sys.stderr)
sys.exit(1 if wrong else 0)
EOF
}

if matches_pins 2>/dev/null; then
    echo "[setup] $VENV already matches scripts/reference/requirements.txt and torch $TORCH_VERSION"
    exit 0
fi
matches_pins || true  # say what is missing

"$VPY" -m pip install --quiet "${PIP_PINS[@]}"

torch_args=()
if ! "$VPY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    wheel="$(ls /opt/wheels/torch-"$TORCH_VERSION"+cpu-cp311-*.whl 2>/dev/null | head -n1 || true)"
    if [[ -n "${TORCH_SPEC:-}" ]]; then
        torch_args=("$TORCH_SPEC")
    elif [[ -n "$wheel" ]]; then
        torch_args=("$wheel")
    elif [[ -n "${TORCH_INDEX_URL:-}" ]]; then
        torch_args=("torch==$TORCH_VERSION+cpu" --extra-index-url "$TORCH_INDEX_URL")
    else
        echo "[setup] no CPU wheel in /opt/wheels and no TORCH_INDEX_URL: torch==$TORCH_VERSION from the default index (with CUDA libraries)" >&2
        torch_args=("torch==$TORCH_VERSION")
    fi
    echo "[setup] torch from: ${torch_args[*]}"
fi
# One resolver run, so that torch's own dependencies are held to the pins as well.
"$VPY" -m pip install -r "$REQUIREMENTS" "${torch_args[@]}"
matches_pins

"$VPY" - > "$VENV/VERSIONS.txt" <<'EOF'
import importlib.metadata as md, platform, sys
print("python", platform.python_version(), sys.executable)
for name in ["torch", "transformers", "peft", "safetensors", "sentencepiece", "rouge_score", "nltk", "numpy",
             "py7zr", "accelerate", "protobuf", "tokenizers", "huggingface_hub"]:
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "NOT INSTALLED")
import torch
print("torch.config:", torch.__config__.show().replace("\n", " | "))
print("torch.num_threads default:", torch.get_num_threads())
EOF
echo "[setup] done: $VPY"
head -n 9 "$VENV/VERSIONS.txt"
