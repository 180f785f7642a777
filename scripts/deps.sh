#!/usr/bin/env bash
# The system libraries the build links (OpenBLAS, oneDNN, libarchive, Open MPI with its mpirun, and pkg-config
# to find them), installed when
# missing: `make build` (hence demo, test, all) and .ci/run call this first. Silent when they are all there.
# Installs with apt-get, as root directly or through sudo (non-interactive); where neither is possible it
# prints the one command to run and fails.
set -euo pipefail
PACKAGES="libopenblas-dev libdnnl-dev libarchive-dev libopenmpi-dev openmpi-bin pkg-config"
# oneDNN ships no pkg-config file: its header stands for it.
have() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas libarchive ompi-c && command -v mpirun >/dev/null 2>&1 \
         && [[ -f /usr/include/oneapi/dnnl/dnnl.h ]]; }
have && exit 0

if [[ "$EUID" == 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    SUDO=(none)
fi
if ! command -v apt-get >/dev/null 2>&1 || [[ "${SUDO[*]}" == none ]]; then
    echo "deps: OpenBLAS, oneDNN, libarchive, Open MPI or pkg-config is missing; install them with:" \
         "sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
    exit 1
fi
echo "deps: installing $PACKAGES (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >/dev/null
# shellcheck disable=SC2086
"${SUDO[@]}" apt-get install -y -qq $PACKAGES >/dev/null  # its errors still go to stderr
have || { echo "deps: apt-get installed $PACKAGES but pkg-config still finds no openblas, libarchive or ompi-c (or no mpirun, or no oneDNN header)" >&2; exit 1; }
