#!/usr/bin/env bash
# Creates (or reuses) the Python venv of the client-conformance suite and
# installs the CUDA clients from PyPI into it.
#   tests/clients/venv.sh BUILD_DIR [heavy]   (heavy: torch, in clients-venv-heavy)
# Prints nothing on success but the time it took; on failure prints one
# line "reason: ..." on stdout and exits 1, so the tests can SKIP with it.
# The venv is reused when every package is importable already, so a second
# run costs a second; pip's own cache makes a fresh clone cheap too.
set -u
build=${1:?usage: venv.sh BUILD_DIR [heavy]}
heavy=${2:-}
venv=$build/clients-venv
pkgs=(cuda-bindings nvidia-ml-py nvitop gpustat cupy-cuda13x numba-cuda
      nvidia-cuda-runtime-cu12 nvidia-cuda-runtime)
mods="cuda.bindings.driver pynvml nvitop gpustat cupy numba.cuda nvidia.cuda_runtime nvidia.cu13"
# torch brings its own CUDA libraries (several GB) and pins its own
# versions of packages above: a venv of its own keeps the light one stable.
if [ "$heavy" = heavy ]; then
	venv=$build/clients-venv-heavy pkgs=(torch) mods=torch
fi
py=$venv/bin/python
log=$venv.log

have_all() {
	[ -x "$py" ] && "$py" - $mods <<'PY' >/dev/null 2>&1
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)
PY
}
have_all && exit 0

mkdir -p "$build"
start=$(date +%s.%N)
if [ ! -x "$py" ]; then
	python3 -m venv "$venv" >"$log" 2>&1 ||
		{ echo "reason: python3 -m venv failed (see $log)"; exit 1; }
fi
# A short timeout and few retries: an offline machine must answer in
# seconds, not after pip's default minutes of retrying.
if ! "$py" -m pip install --disable-pip-version-check --timeout 20 --retries 0 \
	"${pkgs[@]}" >>"$log" 2>&1; then
	why=$(grep -m1 '^ERROR' "$log" || grep -Eim1 'connection|network|resolve' "$log")
	echo "reason: pip cannot install ${pkgs[*]}: ${why:0:160} (log: $log)"
	exit 1
fi
have_all || { echo "reason: installed, but a client module does not import (see $log)"; exit 1; }
end=$(date +%s.%N)
printf 'installed %s in %.0f s\n' "${pkgs[*]}" "$(echo "$end - $start" | bc)" >&2
