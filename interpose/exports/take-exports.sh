#!/bin/sh
# Takes the export name lists from a CUDA toolkit: names only, one a line,
# sorted, no versions.  Run again after a toolkit upgrade and commit the
# difference:   interpose/exports/take-exports.sh [/usr/local/cuda]
#
#   cuda.txt      nm -D of lib64/stubs/libcuda.so (the stub exports every
#                 driver entry point, the _v2/_v3/_ptsz/_ptds variants and
#                 the old names consumers still look up)
#   cudart13.txt  nm -D of lib64/libcudart.so.13
#   cudart12.txt  cudart13.txt plus cudart12-only.txt (no CUDA 12 toolkit
#                 here: names that 12.x exported and 13.0 removed, kept by
#                 hand and listed in that file)
#   nvml.txt      nm -D of a libnvidia-ml stub when the toolkit ships one
#                 (lib64/stubs/libnvidia-ml.so or targets/*/lib/stubs/);
#                 otherwise the hand-kept list is left as it is
set -eu
cuda=${1:-/usr/local/cuda}
here=$(cd "$(dirname "$0")" && pwd)
names() { nm -D --defined-only "$1" | awk '$2 ~ /^[TtWiI]$/ {print $3}' |
	sed 's/@.*//' | LC_ALL=C sort -u; }
names "$cuda/lib64/stubs/libcuda.so" > "$here/cuda.txt"
names "$cuda/lib64/libcudart.so.13" > "$here/cudart13.txt"
grep -v '^#' "$here/cudart12-only.txt" | cat - "$here/cudart13.txt" |
	LC_ALL=C sort -u > "$here/cudart12.txt"
ml=$(find -L "$cuda/" -name 'libnvidia-ml.so*' -path '*stubs*' 2>/dev/null | head -n 1)
if [ -n "$ml" ]; then names "$ml" > "$here/nvml.txt"; else
	echo "take-exports: no libnvidia-ml stub under $cuda; nvml.txt kept" >&2; fi
wc -l "$here"/cuda.txt "$here"/cudart12.txt "$here"/cudart13.txt "$here"/nvml.txt
